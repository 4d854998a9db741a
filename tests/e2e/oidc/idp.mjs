// A real OpenID Connect provider for pact's e2e tests (DESIGN.md §8: "a real
// OIDC provider for login tests"): the oidc-provider package on loopback
// HTTPS. It issues the tokens `pact login` obtains and the journal verifies.
//
//   node idp.mjs --port P --cert C --key K --jwks FILE --issuer URL
//                [--audience pact] [--resource urn:pact:journal]
//                [--access-ttl SECONDS] [--service-secret S]
//                [--service-groups g1,g2]
//
// --jwks: a JSON Web Key Set of PRIVATE keys ({"keys": [...]}, each with
// `kid` and `alg`); the first signs, the others are still published, so a
// test rotates keys by restarting with [new, old] and then [new]. The
// access-token algorithm follows the first key (RS256, PS256, ES256).
// Prints "ready ISSUER" on stdout once it listens.
//
// Clients: pact-cli (public; device flow and refresh tokens) and
// pact-service (confidential; client credentials). Users alice, bob and
// carol log in with any password through the development interactions
// (the test plays the user over HTTP); their groups are fixed below.
// Access tokens are JWTs for one resource whose audience is --audience,
// carrying a `groups` claim.
import { readFileSync } from 'node:fs';
import https from 'node:https';
import Provider from 'oidc-provider';

function options(argv) {
  const o = {
    audience: 'pact',
    resource: 'urn:pact:journal',
    'access-ttl': '300',
    'service-secret': 'pact-service-secret',
    'service-groups': 'pact-service-ai',
  };
  for (let i = 0; i < argv.length; i += 2) {
    if (!argv[i].startsWith('--') || i + 1 >= argv.length) {
      console.error(`idp.mjs: bad argument ${argv[i]}`);
      process.exit(2);
    }
    o[argv[i].slice(2)] = argv[i + 1];
  }
  for (const k of ['port', 'cert', 'key', 'jwks', 'issuer']) {
    if (!o[k]) {
      console.error(`idp.mjs: --${k} is required`);
      process.exit(2);
    }
  }
  return o;
}

const o = options(process.argv.slice(2));
const jwks = JSON.parse(readFileSync(o.jwks, 'utf8'));
const signingAlg = jwks.keys[0].alg;
const accessTtl = Number(o['access-ttl']);
const userGroups = {
  alice: ['pact-platform-admin'],
  bob: ['pact-ops-ml'],
  carol: ['pact-viewer-ml'],
};
const serviceGroups = o['service-groups'].split(',').filter(Boolean);

const provider = new Provider(o.issuer, {
  clients: [
    {
      client_id: 'pact-cli',
      token_endpoint_auth_method: 'none',
      grant_types: ['urn:ietf:params:oauth:grant-type:device_code',
        'refresh_token'],
      response_types: [],
      redirect_uris: [],
    },
    {
      client_id: 'pact-service',
      client_secret: o['service-secret'],
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
    },
  ],
  jwks,
  scopes: ['openid', 'offline_access', 'pact'],
  features: {
    devInteractions: { enabled: true },
    deviceFlow: { enabled: true },
    clientCredentials: { enabled: true },
    revocation: { enabled: true },
    // Access tokens are for the journal, never for userinfo.
    userinfo: { enabled: false },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => o.resource,
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({
        scope: 'pact',
        audience: o.audience,
        accessTokenFormat: 'jwt',
        accessTokenTTL: accessTtl,
        jwt: { sign: { alg: signingAlg } },
      }),
    },
  },
  enabledJWA: {
    idTokenSigningAlgValues: ['RS256', 'PS256', 'ES256'],
  },
  findAccount: (ctx, id) => ({
    accountId: id,
    claims: () => ({ sub: id }),
  }),
  extraTokenClaims: (ctx, token) => {
    if (token.kind === 'ClientCredentials')
      return { groups: serviceGroups };
    return { groups: userGroups[token.accountId] ?? [] };
  },
  // Refresh tokens for every client allowed them, offline_access or not:
  // the device flow has no prompt=consent to grant offline_access with.
  issueRefreshToken: (ctx, client) => client.grantTypeAllowed('refresh_token'),
  ttl: {
    AccessToken: accessTtl,
    ClientCredentials: accessTtl,
    DeviceCode: 600,
    Grant: 86400,
    IdToken: 3600,
    Interaction: 3600,
    RefreshToken: 86400,
    Session: 86400,
  },
});

const server = https.createServer(
  { cert: readFileSync(o.cert), key: readFileSync(o.key) },
  provider.callback(),
);
server.listen(Number(o.port), '127.0.0.1', () => {
  process.stdout.write(`ready ${o.issuer}\n`);
});
for (const sig of ['SIGTERM', 'SIGINT'])
  process.on(sig, () => server.close(() => process.exit(0)));
