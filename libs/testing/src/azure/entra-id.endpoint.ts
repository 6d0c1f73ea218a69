import { randomBytes, randomUUID } from 'node:crypto';
import { jsonResponse, queryParam, type SimIncoming, type SimResponse } from './sim-http.js';

export interface EntraIdConfig {
  tenantId: string;
  clientId: string;
  clientSecret: string;
  /** The simulator's https origin (known only once it listens). */
  baseUrl: () => string;
}

export interface EntraIdMatch {
  faultRoute: 'token' | 'openid';
  /** Entra ID routes are never paged. */
  page?: undefined;
  serve: () => SimResponse;
}

const TOKEN_LIFETIME_SECONDS = 3599;

function base64url(value: string | Buffer): string {
  return Buffer.from(value).toString('base64url');
}

/**
 * The two Entra ID (v2.0) endpoints MSAL's client-credentials flow calls: the tenant's OpenID
 * configuration, then the token endpoint. Error bodies follow AAD's shape (`error`,
 * `error_description` starting with the AADSTS code, `error_codes`, trace and correlation ids),
 * which @azure/identity surfaces in its AuthenticationError message.
 */
export class EntraIdEndpoint {
  /** Issued access tokens and their expiry (ms since epoch). */
  private readonly issued = new Map<string, { expiresAt: number; audience: string }>();
  /** The audience of every token issued, in order (tests check which scopes clients ask for). */
  readonly audiences: string[] = [];

  constructor(private readonly config: EntraIdConfig) {}

  match(incoming: SimIncoming): EntraIdMatch | undefined {
    const s = incoming.segments.map((x) => x.toLowerCase());
    if (s.length === 4 && s[1] === 'v2.0' && s[2] === '.well-known' && s[3] === 'openid-configuration') {
      return { faultRoute: 'openid', serve: () => this.openidConfiguration(incoming.segments[0]) };
    }
    if (s.length === 4 && s[1] === 'oauth2' && s[2] === 'v2.0' && s[3] === 'token') {
      return { faultRoute: 'token', serve: () => this.token(incoming.segments[0], incoming) };
    }
    return undefined;
  }

  /** Whether `authorization` carries a token this endpoint issued and that has not expired. */
  isValidBearer(authorization: string | undefined): boolean {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
    if (!match) return false;
    const token = this.issued.get(match[1]);
    return token !== undefined && token.expiresAt > Date.now();
  }

  /** Whether `authorization` carries a live token issued for `audience` (e.g. `https://metrics.monitor.azure.com`). */
  hasAudience(authorization: string | undefined, audience: string): boolean {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
    const token = match ? this.issued.get(match[1]) : undefined;
    return token !== undefined && token.expiresAt > Date.now() && token.audience.replace(/\/+$/, '') === audience.replace(/\/+$/, '');
  }

  private knownTenant(tenant: string): boolean {
    return tenant.toLowerCase() === this.config.tenantId.toLowerCase();
  }

  private openidConfiguration(tenant: string): SimResponse {
    if (!this.knownTenant(tenant)) return this.aadError(400, 'invalid_tenant', 90002, this.tenantNotFound(tenant), undefined);
    const base = `${this.config.baseUrl()}/${this.config.tenantId}`;
    return jsonResponse(200, {
      token_endpoint: `${base}/oauth2/v2.0/token`,
      token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
      jwks_uri: `${this.config.baseUrl()}/${this.config.tenantId}/discovery/v2.0/keys`,
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
      claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'auth_time', 'acr', 'nonce', 'tid', 'ver', 'oid'],
      kerberos_endpoint: `${base}/kerberos`,
      tenant_region_scope: 'NA',
      cloud_instance_name: 'microsoftonline.com',
      cloud_graph_host_name: 'graph.windows.net',
      msgraph_host: 'graph.microsoft.com',
      rbac_url: 'https://pas.windows.net',
    });
  }

  private token(tenant: string, incoming: SimIncoming): SimResponse {
    const correlationId = queryParam(incoming.query, 'client-request-id') ?? headerValue(incoming, 'client-request-id');
    if (incoming.method !== 'POST') {
      return this.aadError(400, 'invalid_request', 900561, 'The endpoint only accepts POST requests. Received a GET request.', correlationId);
    }
    if (!this.knownTenant(tenant)) return this.aadError(400, 'invalid_request', 90002, this.tenantNotFound(tenant), correlationId);
    const form = new URLSearchParams(incoming.body);
    // MSAL posts the secret in the form; client_secret_basic sends it in an Authorization header.
    const basic = /^Basic\s+(\S+)$/i.exec(headerValue(incoming, 'authorization') ?? '');
    const [basicId, basicSecret] = basic ? Buffer.from(basic[1], 'base64').toString().split(':').map(decodeURIComponent) : [];
    const grantType = form.get('grant_type');
    const clientId = form.get('client_id') ?? basicId;
    const secret = form.get('client_secret') ?? basicSecret;
    const scope = form.get('scope');

    if (!grantType) return this.missing('grant_type', correlationId);
    if (grantType !== 'client_credentials') {
      return this.aadError(
        400,
        'unsupported_grant_type',
        70003,
        `The app requested an unsupported grant type '${grantType}'.`,
        correlationId,
      );
    }
    if (!clientId) return this.missing('client_id', correlationId);
    if (clientId.toLowerCase() !== this.config.clientId.toLowerCase()) {
      return this.aadError(
        400,
        'unauthorized_client',
        700016,
        `Application with identifier '${clientId}' was not found in the directory '${this.config.tenantId}'. ` +
          'This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. ' +
          'You may have sent your authentication request to the wrong tenant.',
        correlationId,
      );
    }
    if (!secret) {
      return this.aadError(
        401,
        'invalid_client',
        7000218,
        "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
        correlationId,
      );
    }
    if (secret !== this.config.clientSecret) {
      return this.aadError(
        401,
        'invalid_client',
        7000215,
        'Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, ' +
          `not the client secret ID, for a secret added to app '${this.config.clientId}'.`,
        correlationId,
      );
    }
    if (!scope) return this.missing('scope', correlationId);
    if (!scope.split(' ').some((s) => s.endsWith('/.default'))) {
      return this.aadError(
        400,
        'invalid_scope',
        1002012,
        `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
        correlationId,
      );
    }
    return jsonResponse(200, {
      token_type: 'Bearer',
      expires_in: TOKEN_LIFETIME_SECONDS,
      ext_expires_in: TOKEN_LIFETIME_SECONDS,
      access_token: this.issue(scope),
    });
  }

  /** A JWT-shaped token (claims like AAD's v1 app tokens; the signature is random, nobody verifies it). */
  private issue(scope: string): string {
    const now = Math.floor(Date.now() / 1000);
    const audience = scope.split(' ')[0].replace(/\/?\.default$/, '/');
    const header = { typ: 'JWT', alg: 'RS256', kid: 'sim-signing-key' };
    const claims = {
      aud: audience,
      iss: `https://sts.windows.net/${this.config.tenantId}/`,
      iat: now,
      nbf: now,
      exp: now + TOKEN_LIFETIME_SECONDS,
      appid: this.config.clientId,
      appidacr: '1',
      idp: `https://sts.windows.net/${this.config.tenantId}/`,
      oid: randomUUID(),
      sub: randomUUID(),
      tid: this.config.tenantId,
      uti: base64url(randomBytes(16)),
      ver: '1.0',
    };
    const token = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}.${base64url(randomBytes(64))}`;
    this.issued.set(token, { expiresAt: (now + TOKEN_LIFETIME_SECONDS) * 1000, audience });
    this.audiences.push(audience);
    return token;
  }

  /** A token-endpoint fault: 429 or 5xx in AAD's error shape. */
  faultResponse(status: number, retryAfterSeconds: number | null): SimResponse {
    const response =
      status === 429
        ? this.aadError(429, 'temporarily_unavailable', 50196, 'The server is throttling requests from this client. Retry later.', undefined)
        : this.aadError(status, 'temporarily_unavailable', 90033, 'A transient error has occurred. Please try again.', undefined);
    if (retryAfterSeconds !== null) response.headers['retry-after'] = String(retryAfterSeconds);
    return response;
  }

  private tenantNotFound(tenant: string): string {
    return (
      `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. ` +
      'Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.'
    );
  }

  private missing(parameter: string, correlationId: string | undefined): SimResponse {
    return this.aadError(400, 'invalid_request', 900144, `The request body must contain the following parameter: '${parameter}'.`, correlationId);
  }

  private aadError(
    status: number,
    error: string,
    code: number,
    message: string,
    correlationId: string | undefined,
  ): SimResponse {
    const traceId = randomUUID();
    const correlation = correlationId ?? randomUUID();
    const timestamp = new Date().toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
    return jsonResponse(status, {
      error,
      error_description: `AADSTS${code}: ${message}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${correlation}\r\nTimestamp: ${timestamp}`,
      error_codes: [code],
      timestamp,
      trace_id: traceId,
      correlation_id: correlation,
      error_uri: `${this.config.baseUrl()}/error?code=${code}`,
    });
  }
}

function headerValue(incoming: SimIncoming, name: string): string | undefined {
  const value = incoming.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
