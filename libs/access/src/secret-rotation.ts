import { sealedKeyId, type SecretBox } from '@hybridforms/core';
import type { SealedSecretsRepository, SealedValueKind } from '@hybridforms/persistence';

/** What one kind of sealed value went through: re-sealed with the new key, or already new. */
export interface RotationCount {
  rotated: number;
  skipped: number;
}

export type RotationResult = { oldKeyId: string; newKeyId: string } & Record<SealedValueKind, RotationCount>;

/** A sealed value that the old key cannot open: nothing was changed. */
export class RotationError extends Error {}

/**
 * Re-seals every sealed value of the database from `oldBox` to `newBox` in one transaction. A
 * value sealed with `newBox` already is skipped; one sealed with any other key (or that the old
 * key fails to open) aborts the whole rotation, naming the key id, and nothing is changed.
 * Secrets never leave this function: errors name tables, row ids and key ids only.
 */
export async function rotateSecrets(sealed: SealedSecretsRepository, oldBox: SecretBox, newBox: SecretBox): Promise<RotationResult> {
  if (oldBox.keyId === newBox.keyId) throw new RotationError(`the new key is the current key (${newBox.keyId}): nothing to rotate`);
  const result: RotationResult = {
    oldKeyId: oldBox.keyId,
    newKeyId: newBox.keyId,
    providers: { rotated: 0, skipped: 0 },
    machineCredentials: { rotated: 0, skipped: 0 },
    playbookRunExtraVars: { rotated: 0, skipped: 0 },
    automationRuleExtraVars: { rotated: 0, skipped: 0 },
    provisionRequestSecrets: { rotated: 0, skipped: 0 },
  };
  await sealed.resealAll((kind, where, value) => {
    const count = result[kind];
    const keyId = sealedKeyId(value);
    if (keyId === newBox.keyId) {
      count.skipped += 1;
      return null;
    }
    if (keyId !== oldBox.keyId) {
      throw new RotationError(
        `${where} is sealed with key ${keyId ?? '(not a sealed value)'}, which is neither the current key ${oldBox.keyId} (HYBRIDFORMS_SECRET_KEY or the development key file) nor the new key ${newBox.keyId}; nothing was changed`,
      );
    }
    let plain: unknown;
    try {
      plain = oldBox.open(value);
    } catch (error) {
      throw new RotationError(`${where}: the current key ${oldBox.keyId} failed to open it (${(error as Error).message}); nothing was changed`);
    }
    count.rotated += 1;
    return newBox.seal(plain);
  });
  return result;
}
