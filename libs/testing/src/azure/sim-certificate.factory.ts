import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import forge from 'node-forge';

export interface SimCertificates {
  /** PEM of the CA; clients trust it (tlsOptions.ca). */
  caCertificate: string;
  /** PEM of the server certificate (signed by the CA) and its key. */
  certificate: string;
  privateKey: string;
}

const DAY_MS = 24 * 60 * 60 * 1000;

function keyPair(): { privateKey: forge.pki.rsa.PrivateKey; publicKey: forge.pki.rsa.PublicKey; pem: string } {
  // node's native RSA generation is ~100x faster than forge's pure-JS one.
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  });
  return {
    privateKey: forge.pki.privateKeyFromPem(privateKey),
    publicKey: forge.pki.publicKeyFromPem(publicKey),
    pem: privateKey,
  };
}

function serial(): string {
  // Positive (high bit clear) 16-byte serial, as RFC 5280 requires, and never a zero first byte:
  // forge would encode it as a non-minimal DER INTEGER, which OpenSSL 3 refuses ("illegal padding").
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] & 0x7f) | 0x01;
  return bytes.toString('hex');
}

/**
 * Issues, per process and host, a throw-away CA and a server certificate for the simulator.
 * The server certificate names IP 127.0.0.1 and DNS localhost (plus the host it listens on),
 * because TLS clients check the subject alternative name, not the common name.
 */
export class SimCertificateFactory {
  private static readonly cache = new Map<string, SimCertificates>();

  static forHost(host: string): SimCertificates {
    let certificates = this.cache.get(host);
    if (!certificates) {
      certificates = this.issue(host);
      this.cache.set(host, certificates);
    }
    return certificates;
  }

  private static issue(host: string): SimCertificates {
    const now = Date.now();
    const ca = keyPair();
    const caCert = forge.pki.createCertificate();
    caCert.publicKey = ca.publicKey;
    caCert.serialNumber = serial();
    caCert.validity.notBefore = new Date(now - DAY_MS);
    caCert.validity.notAfter = new Date(now + 365 * DAY_MS);
    const caSubject = [
      { name: 'commonName', value: 'Hybridforms Azure Simulator CA' },
      { name: 'organizationName', value: 'Hybridforms Testing' },
    ];
    caCert.setSubject(caSubject);
    caCert.setIssuer(caSubject);
    caCert.setExtensions([
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
      { name: 'subjectKeyIdentifier' },
    ]);
    caCert.sign(ca.privateKey, forge.md.sha256.create());

    const server = keyPair();
    const cert = forge.pki.createCertificate();
    cert.publicKey = server.publicKey;
    cert.serialNumber = serial();
    cert.validity.notBefore = new Date(now - DAY_MS);
    cert.validity.notAfter = new Date(now + 90 * DAY_MS);
    cert.setSubject([{ name: 'commonName', value: 'localhost' }]);
    cert.setIssuer(caSubject);
    const altNames: { type: number; value?: string; ip?: string }[] = [
      { type: 7, ip: '127.0.0.1' },
      { type: 2, value: 'localhost' },
    ];
    if (host !== '127.0.0.1' && host !== 'localhost' && host !== '0.0.0.0' && host !== '::') {
      altNames.push(isIP(host) ? { type: 7, ip: host } : { type: 2, value: host });
    }
    cert.setExtensions([
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames },
      { name: 'subjectKeyIdentifier' },
      { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
    ]);
    cert.sign(ca.privateKey, forge.md.sha256.create());

    return {
      caCertificate: forge.pki.certificateToPem(caCert),
      certificate: forge.pki.certificateToPem(cert),
      privateKey: server.pem,
    };
  }
}
