// The console's directory and the merchant applications queue: staff search organisations,
// merchants and residents, open one (accounts, history, memberships), suspend and restore it.
import { LedgerEntryFields, UserErrorFields } from './fragments.js';

/** Shops waiting to join the business alliance, oldest first, with the organisation behind them. */
export const MerchantQueue = `query MerchantQueue {
  merchantApplications(first: 50) {
    totalCount
    nodes {
      id shopName address openingHours status createdAt
      category { id nameZh } community { id name }
      organisation { id name kind contact status }
    }
  }
}`;

export const ReviewMerchant = `mutation ReviewMerchant($input: ReviewMerchantInput!) {
  reviewMerchant(input: $input) { merchant { id status statusReason } errors { ...UserErrorFields } }
}
${UserErrorFields}`;

/** One kind of the directory at a time (`@include`), by text (name, phone, email) and community. */
export const DirectorySearch = `query DirectorySearch($text: String, $communityId: ID, $residents: Boolean!, $organisations: Boolean!, $merchants: Boolean!) {
  residents(filter: { text: $text, communityId: $communityId }, first: 50) @include(if: $residents) {
    totalCount nodes { id displayName phone email status community { id name } }
  }
  organisations(filter: { text: $text, communityId: $communityId }, first: 50) @include(if: $organisations) {
    totalCount nodes { id name kind status community { id name } }
  }
  merchants(filter: { text: $text, communityId: $communityId }, first: 50) @include(if: $merchants) {
    totalCount nodes { id shopName status community { id name } organisation { id name } }
  }
  communities(first: 100) { nodes { id name } }
}`;

/** One entry of the directory, whatever it is, with its account and its latest movements. */
export const DirectoryEntry = `query DirectoryEntry($id: ID!) {
  node(id: $id) {
    __typename
    ... on User {
      id displayName phone email role userStatus: status statusReason createdAt
      community { id name }
      memberships { role organisation { id name status } }
      wallet { id balance history(first: 50) { totalCount edges { node { ...LedgerEntryFields } } } }
    }
    ... on Organisation {
      id name kind organisationStatus: status statusReason contact description createdAt
      community { id name }
      members(first: 20) { nodes { userId displayName role } }
      merchant { id shopName status }
      budget { id balance history(first: 50) { totalCount edges { node { ...LedgerEntryFields } } } }
    }
    ... on Merchant {
      id shopName merchantStatus: status statusReason address openingHours createdAt
      category { id nameZh } community { id name } organisation { id name status }
      account { id balance history(first: 50) { totalCount edges { node { ...LedgerEntryFields } } } }
    }
  }
}
${LedgerEntryFields}`;

export const SuspendUser = `mutation SuspendUser($input: UserStandingInput!) {
  suspendUser(input: $input) { user { id status statusReason } errors { ...UserErrorFields } }
}
${UserErrorFields}`;

export const RestoreUser = `mutation RestoreUser($input: UserStandingInput!) {
  restoreUser(input: $input) { user { id status statusReason } errors { ...UserErrorFields } }
}
${UserErrorFields}`;

export const SuspendOrganisation = `mutation SuspendOrganisation($input: OrganisationStandingInput!) {
  suspendOrganisation(input: $input) { organisation { id status statusReason } errors { ...UserErrorFields } }
}
${UserErrorFields}`;

export const RestoreOrganisation = `mutation RestoreOrganisation($input: OrganisationStandingInput!) {
  restoreOrganisation(input: $input) { organisation { id status statusReason } errors { ...UserErrorFields } }
}
${UserErrorFields}`;

export const SuspendMerchant = `mutation SuspendMerchant($input: MerchantStandingInput!) {
  suspendMerchant(input: $input) { merchant { id status statusReason } errors { ...UserErrorFields } }
}
${UserErrorFields}`;

export const RestoreMerchant = `mutation RestoreMerchant($input: MerchantStandingInput!) {
  restoreMerchant(input: $input) { merchant { id status statusReason } errors { ...UserErrorFields } }
}
${UserErrorFields}`;

/** The budgets screen's figures: the district's points totals. */
export const DistrictTotals = `query DistrictTotals {
  ledgerTotals { issued outstanding held redeemed expired }
}`;

/**
 * The verified organisations a budget can go to, found by any part of their name (the
 * district has more than a list can show); asked again as the name is typed.
 */
export const BudgetRecipients = `query BudgetRecipients($text: String) {
  organisations(filter: { status: VERIFIED, text: $text }, first: 100) {
    totalCount nodes { id name }
  }
}`;
