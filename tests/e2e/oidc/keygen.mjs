// Prints one private JSON Web Key for idp.mjs's --jwks file:
//   node keygen.mjs ALG KID      (ALG: RS256, PS256 or ES256)
import { generateKeyPairSync } from 'node:crypto';

const [alg, kid] = process.argv.slice(2);
const kinds = {
  RS256: ['rsa', { modulusLength: 2048 }],
  PS256: ['rsa', { modulusLength: 2048 }],
  ES256: ['ec', { namedCurve: 'P-256' }],
};
if (!kinds[alg] || !kid) {
  console.error('usage: node keygen.mjs RS256|PS256|ES256 KID');
  process.exit(2);
}
const { privateKey } = generateKeyPairSync(...kinds[alg]);
const jwk = privateKey.export({ format: 'jwk' });
process.stdout.write(JSON.stringify({ ...jwk, kid, alg, use: 'sig' }) + '\n');
