// Rewards: redeeming at alliance merchants, and the merchant counter's side.
import { PageInfoFields, RedemptionFields, RewardCardFields, UserErrorFields } from './fragments.js';

/** `$signedIn` adds the resident's balance, so a visitor can browse without signing in. */
export const Rewards = `query Rewards($filter: RewardFilterInput, $after: String, $signedIn: Boolean!) {
  rewards(filter: $filter, first: 20, after: $after) {
    totalCount
    pageInfo { ...PageInfoFields }
    edges { node { ...RewardCardFields } }
  }
  me @include(if: $signedIn) { id wallet { id balance } }
}
${PageInfoFields}
${RewardCardFields}`;

export const RedeemReward = `mutation RedeemReward($input: RedeemRewardInput!) {
  redeemReward(input: $input) { redemption { ...RedemptionFields } errors { ...UserErrorFields } }
}
${RedemptionFields}
${UserErrorFields}`;

export const RenewRedemption = `mutation RenewRedemption($input: RenewRedemptionInput!) {
  renewRedemption(input: $input) { redemption { ...RedemptionFields } errors { ...UserErrorFields } }
}
${RedemptionFields}
${UserErrorFields}`;

export const CancelRedemption = `mutation CancelRedemption($input: CancelRedemptionInput!) {
  cancelRedemption(input: $input) { redemption { ...RedemptionFields } errors { ...UserErrorFields } }
}
${RedemptionFields}
${UserErrorFields}`;

/** The resident's redemptions, newest first. */
export const MyRedemptions = `query MyRedemptions {
  myRedemptions(first: 20) { edges { node { ...RedemptionFields } } }
}
${RedemptionFields}`;

/**
 * One redemption by its id: the code screen polls it every 2.5 s while it is shown, to see the
 * merchant's confirmation.
 */
export const Redemption = `query Redemption($id: ID!) {
  node(id: $id) { ... on Redemption { ...RedemptionFields } }
}
${RedemptionFields}`;

export const ConfirmRedemption = `mutation ConfirmRedemption($input: ConfirmRedemptionInput!) {
  confirmRedemption(input: $input) { redemption { ...RedemptionFields } errors { ...UserErrorFields } }
}
${RedemptionFields}
${UserErrorFields}`;

/** The counter's confirmations today: "today" is the server's day in Chengdu, whatever the
 * counter's own clock says. */
export const ConfirmedToday = `query ConfirmedToday($merchantId: ID!) {
  node(id: $merchantId) {
    ... on Merchant { id confirmedToday(first: 50) { totalCount nodes { id rewardTitle points finishedAt } } }
  }
}`;

export const MerchantStatement = `query MerchantStatement($merchantId: ID!, $month: String!) {
  merchantStatement(merchantId: $merchantId, month: $month) {
    month redemptions totalPoints csvUrl
    merchant { id shopName }
    settlement { id status amountYuan paidReference }
    perReward { title redemptions points }
    lines { redemptionId confirmedAt rewardTitle points }
  }
}`;

/** Every reward of the merchant, paused ones included, for its counter. */
export const MerchantRewards = `query MerchantRewards($merchantId: ID!) {
  node(id: $merchantId) {
    ... on Merchant { id allRewards(first: 50) { totalCount edges { node { ...RewardCardFields } } } }
  }
}
${RewardCardFields}`;

export const CreateReward = `mutation CreateReward($input: CreateRewardInput!) {
  createReward(input: $input) { reward { ...RewardCardFields } errors { ...UserErrorFields } }
}
${RewardCardFields}
${UserErrorFields}`;

export const SetRewardStatus = `mutation SetRewardStatus($input: SetRewardStatusInput!) {
  setRewardStatus(input: $input) { reward { ...RewardCardFields } errors { ...UserErrorFields } }
}
${RewardCardFields}
${UserErrorFields}`;
