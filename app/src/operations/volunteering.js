// Volunteer activities: finding and joining them, checking in and out, and the organiser's side.
import {
  ActivityCardFields, PageInfoFields, ParticipationFields, UserErrorFields,
} from './fragments.js';

/** `$signedIn` leaves out the visitor's own sign-up, which only a signed-in resident has. */
export const Activities = `query Activities($filter: ActivityFilterInput, $after: String, $signedIn: Boolean!) {
  activities(filter: $filter, first: 20, after: $after) {
    totalCount
    pageInfo { ...PageInfoFields }
    edges { node { ...ActivityCardFields myParticipation @include(if: $signedIn) { ...ParticipationFields } } }
  }
  communities(first: 100) { edges { node { id name } } }
  categories { id nameZh }
}
${PageInfoFields}
${ActivityCardFields}
${ParticipationFields}`;

export const Activity = `query Activity($id: ID!, $signedIn: Boolean!) {
  node(id: $id) {
    ... on Activity {
      ...ActivityCardFields
      description
      myParticipation @include(if: $signedIn) { ...ParticipationFields }
    }
  }
}
${ActivityCardFields}
${ParticipationFields}`;

export const SignUpForActivity = `mutation SignUpForActivity($input: ActivityIdInput!) {
  signUpForActivity(input: $input) {
    participation { ...ParticipationFields } errors { ...UserErrorFields }
  }
}
${ParticipationFields}
${UserErrorFields}`;

export const CancelSignUp = `mutation CancelSignUp($input: ActivityIdInput!) {
  cancelSignUp(input: $input) {
    participation { ...ParticipationFields } errors { ...UserErrorFields }
  }
}
${ParticipationFields}
${UserErrorFields}`;

export const CheckIn = `mutation CheckIn($input: CheckInput!) {
  checkIn(input: $input) { participation { ...ParticipationFields } errors { ...UserErrorFields } }
}
${ParticipationFields}
${UserErrorFields}`;

export const CheckOut = `mutation CheckOut($input: CheckInput!) {
  checkOut(input: $input) { participation { ...ParticipationFields } errors { ...UserErrorFields } }
}
${ParticipationFields}
${UserErrorFields}`;

/** Organisers: every activity of their organisation, drafts included, newest first. */
export const OrganisationActivities = `query OrganisationActivities($org: ID!) {
  node(id: $org) {
    ... on Organisation { id activities(first: 50) { totalCount edges { node { ...ActivityCardFields } } } }
  }
}
${ActivityCardFields}`;

export const CreateActivity = `mutation CreateActivity($input: CreateActivityInput!) {
  createActivity(input: $input) { activity { ...ActivityCardFields } errors { ...UserErrorFields } }
}
${ActivityCardFields}
${UserErrorFields}`;

export const PublishActivity = `mutation PublishActivity($input: ActivityIdInput!) {
  publishActivity(input: $input) { activity { ...ActivityCardFields } errors { ...UserErrorFields } }
}
${ActivityCardFields}
${UserErrorFields}`;

/** Organisers: the rotating code on the check-in screen, read again when it changes. */
export const CheckInCode = `query CheckInCode($id: ID!) {
  node(id: $id) { ... on Activity { id title place checkInCode { code changesAt qrSvg } } }
}`;

export const AttendanceSheet = `query AttendanceSheet($id: ID!, $after: String) {
  node(id: $id) {
    ... on Activity {
      id title startsAt endsAt pointsPerHour pointsCap
      organisation { id name budget { id balance } }
      attendanceSheet(first: 100, after: $after) {
        totalCount
        edges { node { ...ParticipationFields userId displayName manual } }
        pageInfo { ...PageInfoFields }
      }
    }
  }
}
${ParticipationFields}
${PageInfoFields}`;

export const VerifyAttendance = `mutation VerifyAttendance($input: VerifyAttendanceInput!) {
  verifyAttendance(input: $input) {
    verified { minutes points participation { id } } errors { ...UserErrorFields }
  }
}
${UserErrorFields}`;

export const VerifyActivityAttendance = `mutation VerifyActivityAttendance($input: ActivityIdInput!) {
  verifyActivityAttendance(input: $input) {
    verified { minutes points participation { id displayName } } errors { ...UserErrorFields }
  }
}
${UserErrorFields}`;
