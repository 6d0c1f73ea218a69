import type { OsClassification } from './inventory-graph.js';
import { mergeOsClassification } from './os-classification.js';

const guest94: OsClassification = { osFamily: 'rhel', osName: 'redhat', osVersion: '9.4', osSource: 'guest-agent' };
const image9: OsClassification = { osFamily: 'rhel', osName: 'Red Hat Enterprise Linux', osVersion: '9', osSource: 'image' };
const unknown: OsClassification = { osFamily: 'unknown', osName: null, osVersion: null, osSource: null };

describe('mergeOsClassification', () => {
  it('takes the fresh answer when nothing is stored', () => {
    expect(mergeOsClassification(null, image9, 'payg')).toEqual({ ...image9, licenseModel: 'payg' });
  });

  it('keeps a guest-agent answer when a later refresh only has the image', () => {
    const stored = { ...guest94, licenseModel: 'payg' as const };
    expect(mergeOsClassification(stored, image9, 'payg')).toEqual(stored);
  });

  it('keeps a known RHEL classification when the fresh data says nothing, and derives its license model', () => {
    const stored = { ...guest94, licenseModel: 'byos' as const };
    expect(mergeOsClassification(stored, unknown, 'byos')).toEqual({ ...guest94, licenseModel: 'byos' });
  });

  it('lets a more trusted source replace a less trusted one', () => {
    const stored = { ...image9, licenseModel: 'payg' as const };
    expect(mergeOsClassification(stored, guest94, 'payg')).toEqual({ ...guest94, licenseModel: 'payg' });
  });

  it('keeps the minor version when the same source only reports the major', () => {
    const stored = { ...image9, osVersion: '9.4', licenseModel: 'payg' as const };
    expect(mergeOsClassification(stored, image9, 'payg').osVersion).toBe('9.4');
  });

  it('follows the guest when it reports an upgrade', () => {
    const stored = { ...guest94, licenseModel: 'payg' as const };
    const upgraded = { ...guest94, osVersion: '9.5' };
    expect(mergeOsClassification(stored, upgraded, 'payg').osVersion).toBe('9.5');
  });

  it('gives non-RHEL machines no license model', () => {
    const windows: OsClassification = { osFamily: 'windows', osName: 'Windows Server 2022', osVersion: null, osSource: 'image' };
    expect(mergeOsClassification(null, windows, 'unknown').licenseModel).toBeNull();
  });
});
