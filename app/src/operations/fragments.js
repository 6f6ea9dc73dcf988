// Fragments shared by the operations. Each is interpolated into the documents that use it, so
// every document sent is complete on its own (the server never sees a fragment by name alone).

/** Every payload's business rejections, shown next to the field they concern. */
export const UserErrorFields = `fragment UserErrorFields on UserError { field code message }`;

/** The signed-in session the client keeps (see ../session.js). */
export const SessionFields = `fragment SessionFields on SessionTokens {
  accessToken accessTokenExpiresAt refreshToken refreshTokenExpiresAt
  user { id displayName role }
}`;

export const PageInfoFields = `fragment PageInfoFields on PageInfo { hasNextPage endCursor }`;

export const ActivityCardFields = `fragment ActivityCardFields on Activity {
  id title place startsAt endsAt capacity seatsLeft pointsPerHour pointsCap status
  organisation { id name }
  category { id nameZh }
  community { id name }
}`;

export const ParticipationFields = `fragment ParticipationFields on Participation {
  id status waitlistPosition checkedInAt checkedOutAt verifiedAt verifiedMinutes pointsAwarded
}`;

export const RedemptionFields = `fragment RedemptionFields on Redemption {
  id rewardTitle reward { id } merchant { id shopName } points status code qrSvg expiresAt createdAt finishedAt
}`;

export const ProductCardFields = `fragment ProductCardFields on Product {
  id title summary description priceTier priceYuan marketPriceYuan pricePoints status statusReason
  category { id nameZh }
  organisation { id name }
  updatedAt
}`;

export const RewardCardFields = `fragment RewardCardFields on Reward {
  id title description pointsPrice stock limitPerPeriod periodDays validUntil status
  merchant { id shopName address openingHours }
}`;

export const LedgerEntryFields = `fragment LedgerEntryFields on LedgerEntry {
  direction change
  counterpart { name kind }
  transfer { id code reason createdAt }
}`;
