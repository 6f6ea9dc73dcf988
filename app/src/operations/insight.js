// The district at a glance: the console's dashboard and the budgets' period view. Each chart
// asks for its own figure (one aggregate statement each, in parallel), so one slow figure
// never holds back the others; tests/bench/dashboard.py times these very documents.

/** What the dashboard's filters offer: communities (with their type) and categories. */
export const InsightChoices = `query InsightChoices {
  communities(first: 100) { nodes { id name communityType communityTypeLabel } }
  categories { id slug nameZh children { id slug nameZh } }
}`;

/** One dashboard figure, chosen by its flag; the filter narrows it. */
export const DashboardFigure = `query DashboardFigure(
  $filter: InsightFilterInput,
  $points: Boolean = false, $hours: Boolean = false, $products: Boolean = false,
  $organisations: Boolean = false, $needs: Boolean = false, $merchants: Boolean = false
) {
  dashboard(filter: $filter) {
    pointsByMonth @include(if: $points) { month earned redeemed }
    hoursByCommunity @include(if: $hours) { communityId communityName activities participations hours }
    productsByCategory @include(if: $products) { categoryId categoryName count }
    organisationsByCategory @include(if: $organisations) { categoryId categoryName count }
    needsByCommunity @include(if: $needs) { communityId communityName opened matched closed }
    merchantsByRedemptions @include(if: $merchants) { merchantId shopName redemptions points }
  }
}`;

/** The district's points at each month's end over the period. */
export const Liability = `query Liability($from: DateTime, $to: DateTime) {
  liability(from: $from, to: $to) { month at issued outstanding inWallets held redeemed expired }
}`;

/** The cross-tab community × category, the cells with the most service time first. */
export const ImpactByCommunityAndCategory = `query ImpactByCommunityAndCategory($filter: InsightFilterInput) {
  impactTable(filter: $filter, by: [COMMUNITY, CATEGORY]) {
    communityId communityName categoryId categoryName
    figures { activitiesHeld participants serviceHours pointsEarned pointsRedeemed productsPublished needsMatched needsDelivered }
  }
}`;

/** One cell of the cross-tab opened: its organisations (the filter names the community and category). */
export const ImpactOrganisations = `query ImpactOrganisations($filter: InsightFilterInput) {
  impactTable(filter: $filter) {
    organisationId organisationName
    figures { activitiesHeld participants serviceHours pointsEarned pointsRedeemed productsPublished needsMatched needsDelivered }
  }
}`;

/** Download links for the filter's CSV exports. */
export const InsightExportLinks = `query InsightExportLinks($filter: InsightFilterInput) {
  insightExports(filter: $filter) { impactTable attendance residentHours organisationBudgets auditTrail }
}`;

/** Organisations' budgets with what moved in the period: allocated, paid out, to how many residents. */
export const OrganisationBudgets = `query OrganisationBudgets($filter: InsightFilterInput, $after: String) {
  organisationBudgets(filter: $filter, first: 50, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes { organisationId name balance allocated paidOut residentsPaid }
  }
  insightExports(filter: $filter) { organisationBudgets }
}`;

/** A link to one account's history in a period as CSV. */
export const AccountHistoryLink = `query AccountHistoryLink($id: ID!, $from: DateTime, $until: DateTime) {
  node(id: $id) { ... on Account { id historyCsvUrl(from: $from, until: $until) } }
}`;
