// The OpenID provider the OIDC connector tests sign in against: the npm
// oidc-provider package (a certified OpenID Connect implementation) mounted
// under an issuer shaped like Microsoft Entra ID's, http://127.0.0.1:PORT/{tenant}/v2.0,
// with Entra-like claims (oid, tid, preferred_username, upn, email, groups and
// the groups overage form).
//
// Started by the Go package oidctest with one argument, the path of a JSON
// file:
//   {
//     "tenant": "GUID",                     // tid, and the issuer's path
//     "port": 0,                            // 0 picks a free loopback port
//     "keys": [JWK, ...],                   // private signing keys; the first signs
//     "clients": [{"client_id", "client_secret", "redirect_uris": [...]}],
//     "accounts": {"alice": {"oid", "preferred_username", "upn", "email",
//                  "name", "given_name", "family_name", "groups": [...],
//                  "overage": false}}
//   }
// It prints one JSON line {"port": N, "issuer": "..."} once it listens.
//
// Interactions have no pages to click through: GET /{tenant}/v2.0/interaction/UID
// signs the login_hint account in (and grants what was asked) when the
// authorization request named one; POST .../interaction/UID/login with
// login=ACCOUNT does the same; POST .../interaction/UID/abort refuses with
// access_denied.
//
// Control routes for the tests, outside the issuer's path:
//   POST /control/accounts        replace the accounts (JSON body as above)
//   POST /control/next-id-token   {"id_token": "..."}: the next token response
//                                 carries this ID token instead of the real one
import http from 'node:http';
import fs from 'node:fs';
import Provider from 'oidc-provider';

const cfg = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
let accounts = cfg.accounts || {};
let nextIDToken = null;

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function claimsFor(id) {
  const a = accounts[id];
  if (!a) return undefined;
  const claims = {
    sub: a.sub || id,
    oid: a.oid,
    tid: cfg.tenant,
    ver: '2.0',
    preferred_username: a.preferred_username,
    upn: a.upn,
    name: a.name,
    given_name: a.given_name,
    family_name: a.family_name,
    email: a.email,
  };
  if (a.overage) {
    claims._claim_names = { groups: 'src1' };
    claims._claim_sources = {
      src1: { endpoint: `https://graph.microsoft.com/v1.0/users/${a.oid}/getMemberObjects` },
    };
  } else if (a.groups) {
    claims.groups = a.groups;
  }
  for (const k of Object.keys(claims)) if (claims[k] === undefined) delete claims[k];
  return claims;
}

const server = http.createServer();
server.listen(cfg.port || 0, '127.0.0.1', () => {
  const { port } = server.address();
  const prefix = `/${cfg.tenant}/v2.0`;
  const issuer = `http://127.0.0.1:${port}${prefix}`;

  const provider = new Provider(issuer, {
    clients: cfg.clients.map((c) => ({
      client_id: c.client_id,
      client_secret: c.client_secret,
      redirect_uris: c.redirect_uris,
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: c.token_endpoint_auth_method || 'client_secret_basic',
    })),
    jwks: { keys: cfg.keys },
    cookies: { keys: ['gatehouse-test-cookie-key'] },
    claims: {
      openid: ['sub', 'oid', 'tid', 'ver', 'groups'],
      profile: ['name', 'given_name', 'family_name', 'preferred_username', 'upn'],
      email: ['email'],
    },
    conformIdTokenClaims: false,
    pkce: { required: () => true },
    features: { devInteractions: { enabled: false } },
    interactions: { url: (ctx, interaction) => `${prefix}/interaction/${interaction.uid}` },
    findAccount: (ctx, id) => (accounts[id]
      ? { accountId: id, claims: () => claimsFor(id) }
      : undefined),
  });
  provider.on('server_error', (ctx, err) => console.error('server_error', err));

  async function finishLogin(req, res, account) {
    const details = await provider.interactionDetails(req, res);
    if (!accounts[account]) {
      return provider.interactionFinished(req, res, {
        error: 'access_denied', error_description: `no account ${account}`,
      }, { mergeWithLastSubmission: false });
    }
    const grant = new provider.Grant({ accountId: account, clientId: details.params.client_id });
    grant.addOIDCScope(details.params.scope);
    const grantId = await grant.save();
    return provider.interactionFinished(req, res, {
      login: { accountId: account },
      consent: { grantId },
    }, { mergeWithLastSubmission: false });
  }

  async function interaction(req, res, path) {
    const m = path.match(/^\/interaction\/([^/]+)(\/login|\/abort)?$/);
    if (!m) return false;
    if (req.method === 'GET' && !m[2]) {
      const details = await provider.interactionDetails(req, res);
      const hint = details.params.login_hint;
      if (hint && accounts[hint]) {
        await finishLogin(req, res, hint);
        return true;
      }
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(`<form method="post" action="${prefix}/interaction/${m[1]}/login"><input name="login"><button>Sign in</button></form>`);
      return true;
    }
    if (req.method === 'POST' && m[2] === '/login') {
      const form = new URLSearchParams(await readBody(req));
      await finishLogin(req, res, form.get('login') || '');
      return true;
    }
    if (req.method === 'POST' && m[2] === '/abort') {
      await provider.interactionFinished(req, res, {
        error: 'access_denied', error_description: 'End-User aborted interaction',
      }, { mergeWithLastSubmission: false });
      return true;
    }
    return false;
  }

  // substituteIDToken makes the next token response carry the queued ID token.
  function substituteIDToken(res) {
    const token = nextIDToken;
    nextIDToken = null;
    const end = res.end.bind(res);
    res.end = (chunk, ...rest) => {
      if (chunk && res.statusCode === 200) {
        try {
          const body = JSON.parse(chunk.toString());
          if (body.id_token) {
            body.id_token = token;
            const out = JSON.stringify(body);
            if (!res.headersSent) res.setHeader('content-length', Buffer.byteLength(out));
            return end(out, ...rest);
          }
        } catch { /* not JSON: leave it */ }
      }
      return end(chunk, ...rest);
    };
  }

  const callback = provider.callback();
  server.on('request', async (req, res) => {
    try {
      const url = new URL(req.url, issuer);
      if (url.pathname === '/control/accounts' && req.method === 'POST') {
        accounts = JSON.parse(await readBody(req));
        res.writeHead(204).end();
        return;
      }
      if (url.pathname === '/control/next-id-token' && req.method === 'POST') {
        nextIDToken = JSON.parse(await readBody(req)).id_token;
        res.writeHead(204).end();
        return;
      }
      if (!url.pathname.startsWith(prefix + '/') && url.pathname !== prefix) {
        res.writeHead(404).end();
        return;
      }
      const path = url.pathname.slice(prefix.length) || '/';
      if (await interaction(req, res, path)) return;
      if (path === '/token' && nextIDToken) substituteIDToken(res);
      req.originalUrl = req.url;
      req.url = req.url.slice(prefix.length) || '/';
      callback(req, res);
    } catch (err) {
      console.error(err);
      if (!res.headersSent) res.writeHead(500);
      res.end(String(err && err.message));
    }
  });

  process.stdout.write(JSON.stringify({ port, issuer }) + '\n');
});

process.on('SIGTERM', () => server.close(() => process.exit(0)));
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
