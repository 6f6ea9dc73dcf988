// Service certificates: asking for one, a resident's list, the printable certificate, and the
// public verification page.
import { UserErrorFields } from './fragments.js';

const CertificateContentFields = `fragment CertificateContentFields on CertificateContent {
  number holder from until scopeOrganisation totalMinutes totalHours issuer issuedOn verifyUrl
  organisations { name minutes hours }
  activities { organisation title date minutes hours }
}`;

export const IssueCertificate = `mutation IssueCertificate($input: IssueCertificateInput!) {
  issueCertificate(input: $input) { certificate { number } errors { ...UserErrorFields } }
}
${UserErrorFields}`;

export const MyCertificates = `query MyCertificates {
  myCertificates(first: 20) {
    edges { node { number issuedAt revokedAt content { from until totalHours scopeOrganisation } } }
  }
}`;

export const CertificatePage = `query CertificatePage($number: String!) {
  certificate(number: $number) {
    number keyId qrSvg document issuedAt revokedAt revocationReason
    content { ...CertificateContentFields }
  }
}
${CertificateContentFields}`;

export const VerifyCertificate = `query VerifyCertificate($number: String!) {
  verifyCertificate(number: $number) {
    validity keyId recordedHere revokedAt revocationReason
    content { ...CertificateContentFields }
  }
}
${CertificateContentFields}`;
