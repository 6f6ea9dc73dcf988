// Self-governance groups, community needs and the organisation's points budget.
import { LedgerEntryFields, PageInfoFields, UserErrorFields } from './fragments.js';

export const Groups = `query Groups($after: String) {
  groups(first: 50, after: $after) {
    totalCount
    edges { node { id name purpose stage stageLabel community { id name } } }
    pageInfo { ...PageInfoFields }
  }
}
${PageInfoFields}`;

export const RequestToJoinGroup = `mutation RequestToJoinGroup($input: GroupIdInput!) {
  requestToJoinGroup(input: $input) {
    members { userId displayName status } errors { ...UserErrorFields }
  }
}
${UserErrorFields}`;

export const PostNeed = `mutation PostNeed($input: PostNeedInput!) {
  postNeed(input: $input) { need { id title status } errors { ...UserErrorFields } }
}
${UserErrorFields}`;

export const NeedForm = `query NeedForm {
  communities(first: 100) { edges { node { id name } } }
  categories { id nameZh }
}`;

export const OrganisationBudget = `query OrganisationBudget($id: ID!) {
  node(id: $id) {
    ... on Organisation {
      id name
      budget { id balance history(first: 50) { totalCount edges { node { ...LedgerEntryFields } } } }
    }
  }
}
${LedgerEntryFields}`;
