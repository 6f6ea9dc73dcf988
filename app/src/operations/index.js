// Every operation the app sends, by name. The test suite imports this module under Node and
// validates each document against schema.graphql (tests/browser/documents.mjs).
export * from './identity.js';
export * from './wallet.js';
export * from './volunteering.js';
export * from './catalogue.js';
export * from './rewards.js';
export * from './community.js';
export * from './staff.js';
export * from './directory.js';
export * from './insight.js';
export * from './booking.js';
export * from './settlement.js';
export * from './certificate.js';
export * from './review.js';
