import { randomUUID } from 'node:crypto';
// ssh2 is CommonJS: its default export, not named ones, under Node's ESM loader.
import { Inject, Injectable, Logger } from '@nestjs/common';
import ssh2 from 'ssh2';
import { BadInputError, ConflictError, NotFoundError, SECRET_BOX, type SecretBox } from '@hybridforms/core';
import { MachineCredentialRepository, type MachineCredentialEntity } from '@hybridforms/persistence';

export interface MachineCredentialInput {
  name: string;
  username: string;
  privateKey: string;
  knownHosts?: string | null;
}

export interface MachineSecret {
  privateKey: string;
}

/**
 * SSH identities for playbook runs. The private key is checked (an unencrypted OpenSSH or PEM key
 * ansible can load without a prompt), sealed at rest and never returned.
 */
@Injectable()
export class MachineCredentialsService {
  private readonly logger = new Logger(MachineCredentialsService.name);

  constructor(
    private readonly credentials: MachineCredentialRepository,
    @Inject(SECRET_BOX) private readonly secrets: SecretBox,
  ) {}

  list(): Promise<MachineCredentialEntity[]> {
    return this.credentials.list();
  }

  async get(id: string): Promise<MachineCredentialEntity> {
    const credential = await this.credentials.findById(id);
    if (!credential) throw new NotFoundError(`machine credential ${id} not found`);
    return credential;
  }

  async create(input: MachineCredentialInput): Promise<MachineCredentialEntity> {
    checkPrivateKey(input.privateKey);
    if (await this.credentials.nameTaken(input.name)) throw new ConflictError(`a machine credential named "${input.name}" already exists`);
    const now = new Date();
    const credential = await this.credentials.add({
      id: randomUUID(),
      name: input.name,
      username: input.username,
      secretCiphertext: this.secrets.seal({ privateKey: normalizeKey(input.privateKey) } satisfies MachineSecret),
      knownHosts: input.knownHosts ?? null,
      createdAt: now,
      updatedAt: now,
    });
    this.logger.log(`machine credential ${credential.name} created as ${credential.id}`);
    return credential;
  }

  async update(id: string, input: Partial<MachineCredentialInput>): Promise<MachineCredentialEntity> {
    const credential = await this.get(id);
    if (input.privateKey !== undefined) {
      checkPrivateKey(input.privateKey);
      credential.secretCiphertext = this.secrets.seal({ privateKey: normalizeKey(input.privateKey) } satisfies MachineSecret);
    }
    if (input.name && input.name !== credential.name && (await this.credentials.nameTaken(input.name))) {
      throw new ConflictError(`a machine credential named "${input.name}" already exists`);
    }
    credential.name = input.name ?? credential.name;
    credential.username = input.username ?? credential.username;
    if (input.knownHosts !== undefined) credential.knownHosts = input.knownHosts;
    credential.updatedAt = new Date();
    await this.credentials.save(credential);
    return credential;
  }

  async remove(id: string): Promise<void> {
    await this.get(id);
    await this.credentials.delete(id);
  }

  /** The decrypted key, for the run that uses it only. */
  async secretOf(id: string): Promise<{ credential: MachineCredentialEntity; secret: MachineSecret }> {
    const credential = await this.get(id);
    return { credential, secret: this.secrets.open<MachineSecret>(credential.secretCiphertext) };
  }
}

function normalizeKey(key: string): string {
  return `${key.trim().replace(/\r\n/g, '\n')}\n`;
}

function checkPrivateKey(key: string): void {
  const parsed = ssh2.utils.parseKey(normalizeKey(key));
  const first = Array.isArray(parsed) ? parsed[0] : parsed;
  // Never echo the key: only what kind of problem it has.
  if (first instanceof Error) {
    const encrypted = /encrypted|passphrase/i.test(first.message);
    throw new BadInputError(
      encrypted
        ? 'privateKey: passphrase-protected keys are not supported (runs cannot answer a prompt); store an unencrypted key'
        : 'privateKey: not an OpenSSH or PEM private key',
    );
  }
  if (!first || !first.isPrivateKey()) throw new BadInputError('privateKey: a public key was given; store the private key');
}
