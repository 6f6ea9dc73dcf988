// The resident's wallet: balance, history, the trend, donations and the service record.
import { LedgerEntryFields, PageInfoFields, UserErrorFields } from './fragments.js';

export const Wallet = `query Wallet($after: String) {
  me {
    id displayName emailVerified
    wallet {
      id balance
      lots { earnedYear points lapsesAt }
      history(first: 20, after: $after) {
        totalCount
        pageInfo { ...PageInfoFields }
        edges { node { ...LedgerEntryFields } }
      }
    }
  }
}
${PageInfoFields}
${LedgerEntryFields}`;

/** The last 90 days of changes, from which the chart rebuilds the balance day by day. */
export const WalletTrend = `query WalletTrend($from: DateTime!) {
  me { id wallet { id balance history(first: 100, filter: { from: $from }) {
    edges { node { change transfer { createdAt } } }
  } } }
}`;

export const ServiceRecord = `query ServiceRecord {
  me { id serviceRecord { totalMinutes totalHours activities byCategory { category { id nameZh } minutes } byOrganisation { organisation { id name } minutes } } }
}`;

export const DonatePoints = `mutation DonatePoints($input: DonatePointsInput!) {
  donatePoints(input: $input) { transfer { id amount createdAt } errors { ...UserErrorFields } }
}
${UserErrorFields}`;

export const DonateToGroup = `mutation DonateToGroup($input: DonateToGroupInput!) {
  donateToGroup(input: $input) { transfer { id amount createdAt } errors { ...UserErrorFields } }
}
${UserErrorFields}`;
