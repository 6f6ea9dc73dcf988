// The review queue, for staff: the cases the rules opened, and closing one.
import { UserErrorFields } from './fragments.js';

export const ReviewCases = `query ReviewCases {
  reviewCases(first: 50) {
    totalCount
    nodes { id rule explanation evidence subjectKind subjectId openedAt heldPoints transferIds userIds }
  }
}`;

export const CloseReviewCase = `mutation CloseReviewCase($input: CloseReviewCaseInput!) {
  closeReviewCase(input: $input) { case { id status } errors { ...UserErrorFields } }
}
${UserErrorFields}`;
