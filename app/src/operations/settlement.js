// Merchant settlement, for staff: a month's settlements and what the centre owes, closing a
// month, approving a settlement and recording its payment.
import { UserErrorFields } from './fragments.js';

const SettlementFields = `fragment SettlementFields on Settlement {
  id month points lines amountYuan rule status closedAt approvedAt paidReference paidAt
  merchant { id shopName }
}`;

export const Settlements = `query Settlements($filter: SettlementFilterInput) {
  settlements(filter: $filter, first: 50) { totalCount edges { node { ...SettlementFields } } }
  settlementTotals(filter: $filter) { settlements points amountYuan owedYuan csvUrl }
}
${SettlementFields}`;

/** A fresh signed link to the CSV of the settlements shown (links last five minutes). */
export const SettlementsCsv = `query SettlementsCsv($filter: SettlementFilterInput) {
  settlementTotals(filter: $filter) { csvUrl }
}`;

export const CloseSettlements = `mutation CloseSettlements($input: CloseSettlementsInput!) {
  closeSettlements(input: $input) {
    month closed alreadyClosed refused { merchant { id shopName } message }
    errors { ...UserErrorFields }
  }
}
${UserErrorFields}`;

export const ApproveSettlement = `mutation ApproveSettlement($input: ApproveSettlementInput!) {
  approveSettlement(input: $input) { settlement { id status } errors { ...UserErrorFields } }
}
${UserErrorFields}`;

export const MarkSettlementPaid = `mutation MarkSettlementPaid($input: MarkSettlementPaidInput!) {
  markSettlementPaid(input: $input) { settlement { id status paidReference } errors { ...UserErrorFields } }
}
${UserErrorFields}`;
