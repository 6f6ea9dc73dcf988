// Proves a third party can check a Linli service certificate with a standard JOSE library and
// nothing but the district's published keys: jose fetches the JWK set from the well-known URL,
// verifies the compact JWS (EdDSA), and must refuse the same document with one byte changed.
// No GraphQL call is made.
import { compactVerify, createRemoteJWKSet } from 'jose';
import { cli, finish, run } from './lib/cli.mjs';

const USAGE = `usage: node tests/js/verify-certificate.mjs --url http://127.0.0.1:PORT --document JWS --number LL-…

Verifies the certificate JWS with the keys at <url>/.well-known/linli-certificate-keys.json.`;

run('verify-certificate', async () => {
  const args = cli(USAGE, {
    url: { type: 'string' }, document: { type: 'string' }, number: { type: 'string' },
  }, ['url', 'document', 'number']);
  const keys = createRemoteJWKSet(new URL('.well-known/linli-certificate-keys.json', `${args.url}/`));
  const problems = [];

  const { payload, protectedHeader } = await compactVerify(args.document, keys);
  const content = JSON.parse(new TextDecoder().decode(payload));
  console.log(`verified with key ${protectedHeader.kid} (${protectedHeader.alg}): ${content.number}, ${content.totalHours} 小时, ${content.holder}`);
  if (content.number !== args.number) problems.push(`the content names ${content.number}, not ${args.number}`);
  if (protectedHeader.alg !== 'EdDSA') problems.push(`signed with ${protectedHeader.alg}, not EdDSA`);

  // One character of the content changed, the signature kept.
  const [header, body, signature] = args.document.split('.');
  const at = Math.floor(body.length / 2);
  const changed = `${header}.${body.slice(0, at)}${body[at] === 'A' ? 'B' : 'A'}${body.slice(at + 1)}.${signature}`;
  const refused = await compactVerify(changed, keys).then(() => null, (error) => error);
  if (!refused) problems.push('a document with a changed byte verified');
  else console.log(`a changed byte is refused: ${refused.code}`);

  finish('verify-certificate', problems, 'the published keys verify the certificate and refuse a changed one');
});
