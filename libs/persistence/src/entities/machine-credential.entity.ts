import { Column, Entity } from 'typeorm';
import { TextColumn, TimestampColumn, UuidPrimaryColumn } from './inventory-columns.js';

/** An SSH identity playbook runs log in with. The private key is sealed, write-only. */
@Entity('machine_credentials')
export class MachineCredentialEntity {
  @UuidPrimaryColumn()
  id: string;

  @TextColumn({ nullable: false, length: 128 })
  name: string;

  @TextColumn({ nullable: false })
  username: string;

  /** AES-256-GCM sealed JSON `{ privateKey, passphrase? }`; never returned, never logged. */
  @Column({ type: 'text' })
  secretCiphertext: string;

  /** known_hosts lines runs check host keys against (host key checking stays on). */
  @Column({ type: 'text', nullable: true })
  knownHosts: string | null;

  @TimestampColumn()
  createdAt: Date;

  @TimestampColumn()
  updatedAt: Date;
}
