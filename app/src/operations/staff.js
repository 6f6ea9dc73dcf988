// The incubation centre's console: review queues, budgets, the incubation and matching boards.
// Every document is staff-only on the server; the console is a client of the public API like
// the rest of the app.
import { UserErrorFields } from './fragments.js';

/** Organisations waiting for verification, oldest first, with what the applicant told us. */
export const OrganisationQueue = `query OrganisationQueue {
  organisationReviewQueue(first: 50) {
    totalCount
    nodes {
      id name kind description contact createdAt status
      community { id name }
      members(first: 5) { nodes { userId displayName role } }
    }
  }
}`;

export const ReviewOrganisation = `mutation ReviewOrganisation($input: ReviewOrganisationInput!) {
  reviewOrganisation(input: $input) { organisation { id status statusReason } errors { ...UserErrorFields } }
}
${UserErrorFields}`;

/**
 * The audit trail about one object. `subjectId` is the raw id the trail records (see
 * `rawId` in ../screens/staff.js), newest first.
 */
export const AuditTrail = `query AuditTrail($subjectId: String!) {
  auditEvents(subjectId: $subjectId, first: 20) {
    totalCount
    nodes { id actorId action detail createdAt }
  }
}`;

/** Names for the ids the queues and the trail carry (people, organisations, accounts). */
export const NodeNames = `query NodeNames($ids: [ID!]!) {
  nodes(ids: $ids) {
    ... on User { id displayName }
    ... on Organisation { id name }
    ... on Account { id kind }
    ... on Transfer { id amount reason code }
    ... on Product { id title }
    ... on Group { id name }
  }
}`;

/** Movements of points a second staff member must approve, oldest first. */
export const ApprovalQueue = `query ApprovalQueue {
  approvalRequests(status: PENDING, first: 50) {
    totalCount
    nodes {
      id kind status requestedById accountId transferId organisationId change reason createdAt
    }
  }
  me { id }
}`;

export const DecideApprovalRequest = `mutation DecideApprovalRequest($input: DecideApprovalRequestInput!) {
  decideApprovalRequest(input: $input) {
    approvalRequest { id status decisionNote transferMadeId } errors { ...UserErrorFields }
  }
}
${UserErrorFields}`;

export const AllocateBudget = `mutation AllocateBudget($input: AllocateBudgetInput!) {
  allocateBudget(input: $input) {
    transfer { id amount createdAt } approvalRequest { id status } errors { ...UserErrorFields }
  }
}
${UserErrorFields}`;

/** One column of the incubation board: the groups at a stage, with their gate. */
const BOARD_COLUMN = `first: 50) {
    totalCount
    nodes {
      id name stage stageLabel createdAt
      community { id name } category { id nameZh } mentor { id name }
      criteria { name required actual met }
      lastDecision { kind note createdAt }
    }
  }`;

/** The incubation board, a column per stage. */
export const IncubationBoard = `query IncubationBoard {
  proposed: groups(filter: { stage: PROPOSED }, ${BOARD_COLUMN}
  incubating: groups(filter: { stage: INCUBATING }, ${BOARD_COLUMN}
  growing: groups(filter: { stage: GROWING }, ${BOARD_COLUMN}
  graduated: groups(filter: { stage: GRADUATED }, ${BOARD_COLUMN}
  dissolved: groups(filter: { stage: DISSOLVED }, ${BOARD_COLUMN}
}`;

export const DecideGroupStage = `mutation DecideGroupStage($input: DecideGroupStageInput!) {
  decideGroupStage(input: $input) {
    group { id stage stageLabel } errors { ...UserErrorFields }
  }
}
${UserErrorFields}`;

/** One status's needs on the matching board, past their SLA first, then the soonest due. */
const BOARD_NEEDS = `order: URGENT_FIRST, first: 50) {
    totalCount
    nodes {
      id title urgency wantedBy status overdue createdAt slaDueAt escalatedAt
      escalatedTo { id displayName }
      community { id name } category { id nameZh }
    }
  }`;

/** The matching board: every need still in hand, by status (the screen puts overdue first). */
export const MatchingBoard = `query MatchingBoard {
  open: needs(filter: { status: OPEN }, ${BOARD_NEEDS}
  matching: needs(filter: { status: MATCHING }, ${BOARD_NEEDS}
  matched: needs(filter: { status: MATCHED }, ${BOARD_NEEDS}
  delivered: needs(filter: { status: DELIVERED }, ${BOARD_NEEDS}
}`;

/** One need on the board, with every match proposed for it. */
export const NeedDetail = `query NeedDetail($id: ID!) {
  node(id: $id) {
    ... on Need {
      id title description urgency wantedBy status overdue outcome residentsServed
      createdAt slaDueAt escalatedAt
      escalatedTo { id displayName } postedBy { id displayName }
      community { id name } category { id nameZh }
      steps { action label actor { id displayName } at note }
      matches(first: 20) { nodes { id kind candidateId candidateName score reasons status createdAt } }
    }
  }
}`;

export const MatchCandidates = `query MatchCandidates($needId: ID!) {
  matchCandidates(needId: $needId) { kind id name score reasons }
}`;

export const ProposeMatch = `mutation ProposeMatch($input: ProposeMatchInput!) {
  proposeMatch(input: $input) { match { id status } errors { ...UserErrorFields } }
}
${UserErrorFields}`;

export const DeliverMatch = `mutation DeliverMatch($input: DeliverMatchInput!) {
  deliverMatch(input: $input) { need { id status } errors { ...UserErrorFields } }
}
${UserErrorFields}`;

export const CloseNeed = `mutation CloseNeed($input: NeedIdInput!) {
  closeNeed(input: $input) { need { id status } errors { ...UserErrorFields } }
}
${UserErrorFields}`;
