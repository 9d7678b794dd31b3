// A fake Microsoft Entra ID (and AD FS) token endpoint on 127.0.0.1, over TLS (MSAL talks to an authority
// over https only), for `@azure/identity`'s EnvironmentCredential / DefaultAzureCredential with a client
// secret: the OpenID configuration document MSAL reads first (`/{tenant}/v2.0/.well-known/openid-configuration`,
// or `/adfs/.well-known/openid-configuration` for AD FS) and the token endpoint it then posts the
// client-credentials grant to, answering in the shapes Entra sends. Point the credential at it with
// `AZURE_AUTHORITY_HOST=<authorityHost>` and trust it with `NODE_EXTRA_CA_CERTS=<caFile>`.
//
// With `AZURE_TENANT_ID=adfs`, @azure/identity tells MSAL the authority host is known (AD FS authorities are
// not validated), so MSAL skips Entra's instance discovery, which goes to login.microsoftonline.com whatever
// the authority host: with a tenant id, a run would need that host.
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createTestCertificates } from './test-certificates';

export interface FakeEntraTokenRequest {
  /** The tenant segment of the path (`adfs` for AD FS). */
  tenant: string;
  grantType: string | null;
  clientId: string | null;
  scope: string | null;
  /** True when the request carried a client secret (its value is not kept). */
  hasClientSecret: boolean;
}

export interface FakeEntraServer {
  /** `https://127.0.0.1:<port>`: the value for `AZURE_AUTHORITY_HOST`. */
  authorityHost: string;
  /** The CA that signed the server's certificate (PEM file): the value for `NODE_EXTRA_CA_CERTS`. */
  caFile: string;
  /** Every request, as `METHOD path`. */
  readonly requests: string[];
  /** The token requests, in order. */
  readonly tokenRequests: FakeEntraTokenRequest[];
  /** The access token every grant gets. */
  readonly accessToken: string;
  close(): Promise<void>;
}

/** Bodies are small forms: a request larger than this is refused. */
const MAX_BODY_BYTES = 64 * 1024;
const TENANT_SEGMENT = /^\/([A-Za-z0-9.-]{1,100})\//;

/** Starts the fake on a free port of 127.0.0.1, with a fresh CA and server certificate. */
export async function startFakeEntra(): Promise<FakeEntraServer> {
  const certificates = createTestCertificates();
  const requests: string[] = [];
  const tokenRequests: FakeEntraTokenRequest[] = [];
  // A JWT's shape (header.payload.signature); nothing reads inside it.
  const accessToken = ['{"typ":"JWT","alg":"none"}', '{"aud":"https://ai.azure.com","iss":"fake-entra"}', 'sig']
    .map((part) => Buffer.from(part).toString('base64url'))
    .join('.');
  let origin = '';

  const server = createServer({ cert: certificates.serverCert, key: certificates.serverKey }, (request, response) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) request.destroy();
      else chunks.push(chunk);
    });
    request.on('end', () => {
      const url = new URL(request.url ?? '/', origin);
      const path = url.pathname;
      requests.push(`${request.method} ${path}`);
      const send = (status: number, body: unknown) => {
        const text = JSON.stringify(body);
        response.writeHead(status, {
          'content-type': 'application/json; charset=utf-8',
          'content-length': Buffer.byteLength(text),
          'x-ms-request-id': crypto.randomUUID(),
        });
        response.end(text);
      };
      const tenant = TENANT_SEGMENT.exec(path)?.[1];
      if (tenant === undefined) return send(404, entraError('invalid_request', `no tenant in ${path}`));
      const adfs = tenant.toLowerCase() === 'adfs';
      const base = `${origin}/${tenant}`;
      if (request.method === 'GET' && path.endsWith('/.well-known/openid-configuration'))
        return send(200, adfs ? adfsConfiguration(base) : entraConfiguration(base, tenant));
      if (
        request.method === 'POST' &&
        (path === `/${tenant}/oauth2/v2.0/token` || path === `/${tenant}/oauth2/token/`)
      ) {
        const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
        tokenRequests.push({
          tenant,
          grantType: form.get('grant_type'),
          clientId: form.get('client_id'),
          scope: form.get('scope'),
          hasClientSecret: form.has('client_secret'),
        });
        if (form.get('grant_type') !== 'client_credentials')
          return send(400, entraError('unsupported_grant_type', 'the fake serves the client_credentials grant only'));
        if (!form.get('client_id') || !form.has('client_secret'))
          return send(401, entraError('invalid_client', 'client_id and client_secret are required'));
        return send(200, { token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: accessToken });
      }
      return send(404, entraError('invalid_request', `the fake does not serve ${request.method} ${path}`));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    authorityHost: origin,
    caFile: certificates.caFile,
    requests,
    tokenRequests,
    accessToken,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      certificates.remove();
    },
  };
}

/** Entra's error body (`AADSTS…` codes left out). */
function entraError(error: string, description: string): Record<string, unknown> {
  return { error, error_description: description, error_codes: [], timestamp: new Date().toISOString() };
}

/** The OpenID configuration of an Entra tenant (the fields MSAL reads, as Entra sends them). */
function entraConfiguration(base: string, tenant: string): Record<string, unknown> {
  return {
    token_endpoint: `${base}/oauth2/v2.0/token`,
    token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
    jwks_uri: `${base}/discovery/v2.0/keys`,
    response_modes_supported: ['query', 'fragment', 'form_post'],
    subject_types_supported: ['pairwise'],
    id_token_signing_alg_values_supported: ['RS256'],
    response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
    scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
    issuer: `${base}/v2.0`,
    request_uri_parameter_supported: false,
    userinfo_endpoint: 'https://graph.microsoft.com/oidc/userinfo',
    authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
    device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
    http_logout_supported: true,
    frontchannel_logout_supported: true,
    end_session_endpoint: `${base}/oauth2/v2.0/logout`,
    claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'auth_time', 'acr', 'nonce', 'tid', 'ver'],
    kerberos_endpoint: `${base}/kerberos`,
    tenant_region_scope: 'NA',
    cloud_instance_name: 'microsoftonline.com',
    cloud_graph_host_name: 'graph.windows.net',
    msgraph_host: 'graph.microsoft.com',
    rbac_url: 'https://pas.windows.net',
    tenant,
  };
}

/** The OpenID configuration of an AD FS farm (`/adfs/.well-known/openid-configuration`). */
function adfsConfiguration(base: string): Record<string, unknown> {
  return {
    issuer: base,
    authorization_endpoint: `${base}/oauth2/authorize/`,
    token_endpoint: `${base}/oauth2/token/`,
    jwks_uri: `${base}/discovery/keys`,
    token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic', 'private_key_jwt'],
    response_types_supported: [
      'code',
      'id_token',
      'code id_token',
      'id_token token',
      'code token',
      'code id_token token',
    ],
    response_modes_supported: ['query', 'fragment', 'form_post'],
    grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials', 'password', 'device_code'],
    subject_types_supported: ['pairwise'],
    scopes_supported: ['openid', 'profile', 'email', 'allatclaims', 'aza', 'logon_cert', 'user_impersonation'],
    id_token_signing_alg_values_supported: ['RS256'],
    end_session_endpoint: `${base}/oauth2/logout`,
    userinfo_endpoint: `${base}/userinfo`,
    device_authorization_endpoint: `${base}/oauth2/devicecode`,
    access_token_issuer: `${base.replace(/\/adfs$/, '')}/adfs/services/trust`,
    microsoft_multi_refresh_token: true,
    frontchannel_logout_supported: true,
    http_logout_supported: true,
  };
}
