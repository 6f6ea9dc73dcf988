// Accounts: sign-up, sign-in, the session's rotation, email confirmation and password reset.
import { SessionFields, UserErrorFields } from './fragments.js';

export const SignIn = `mutation SignIn($input: SignInInput!) {
  signIn(input: $input) { session { ...SessionFields } errors { ...UserErrorFields } }
}
${SessionFields}
${UserErrorFields}`;

export const RegisterResident = `mutation RegisterResident($input: RegisterResidentInput!) {
  registerResident(input: $input) { user { id } errors { ...UserErrorFields } }
}
${UserErrorFields}`;

export const RefreshSession = `mutation RefreshSession($input: RefreshSessionInput!) {
  refreshSession(input: $input) { session { ...SessionFields } errors { ...UserErrorFields } }
}
${SessionFields}
${UserErrorFields}`;

export const SignOut = `mutation SignOut($input: RefreshSessionInput!) {
  signOut(input: $input) { signedOut errors { ...UserErrorFields } }
}
${UserErrorFields}`;

export const RequestPasswordReset = `mutation RequestPasswordReset($input: RequestPasswordResetInput!) {
  requestPasswordReset(input: $input) { ok errors { ...UserErrorFields } }
}
${UserErrorFields}`;

export const ResetPassword = `mutation ResetPassword($input: ResetPasswordInput!) {
  resetPassword(input: $input) { ok errors { ...UserErrorFields } }
}
${UserErrorFields}`;

export const RequestEmailVerification = `mutation RequestEmailVerification {
  requestEmailVerification { ok errors { ...UserErrorFields } }
}
${UserErrorFields}`;

export const VerifyEmail = `mutation VerifyEmail($input: VerifyEmailInput!) {
  verifyEmail(input: $input) { ok errors { ...UserErrorFields } }
}
${UserErrorFields}`;

export const Me = `query Me {
  me { id displayName email phone role emailVerified community { id name } }
  myOrganisations { role organisation { id name status merchant { id shopName } } }
}`;

export const Communities = `query Communities {
  communities(first: 100) { edges { node { id name street } } }
}`;

/** The top-level categories, for filters (sub-categories cost far more and are not needed). */
export const Categories = `query Categories {
  categories { id nameZh }
}`;
