import {
  adminProblems,
  generationOfSku,
  isOpenSshPublicKey,
  marketplaceSource,
  parseMarketplaceRef,
  parseSubnetId,
  resourceGroupProblems,
  rhelPlanOf,
  userDataProblems,
  vmNameProblems,
} from './azure.vm-provisioner.js';

function key(type: string): string {
  const t = Buffer.from(type);
  const blob = Buffer.alloc(4 + t.length + 8);
  blob.writeUInt32BE(t.length, 0);
  t.copy(blob, 4);
  return `${type} ${blob.toString('base64')} me@host`;
}

describe('Azure VM provisioner: pure rules', () => {
  it('accepts VM names Azure and a hostname allow', () => {
    for (const name of ['a', 'rhel9-web-01', 'A1', 'x'.repeat(64)]) expect(vmNameProblems(name)).toEqual([]);
  });

  it('refuses VM names Azure refuses, each message starting with name:', () => {
    const cases: [string, RegExp][] = [
      ['', /1-64/],
      ['x'.repeat(65), /1-64/],
      ['web 01', /letters, digits/],
      ['web!', /letters, digits/],
      ['_web', /underscore/],
      ['web.', /end with a period or a hyphen/],
      ['web-', /end with a period or a hyphen/],
      ['web_01', /periods or underscores/],
      ['web.prod', /periods or underscores/],
      ['12345', /all digits/],
      ['-web', /start with a letter or digit/],
    ];
    for (const [name, expected] of cases) {
      const problems = vmNameProblems(name);
      expect(problems.length).toBeGreaterThan(0);
      expect(problems.every((p) => p.startsWith('name: '))).toBe(true);
      expect(problems.join('\n')).toMatch(expected);
    }
  });

  it('checks resource group names as ARM does', () => {
    expect(resourceGroupProblems('rg-prod_(eu).1')).toEqual([]);
    expect(resourceGroupProblems(undefined)[0]).toMatch(/^placement\.resourceGroup: a resource group is required/);
    expect(resourceGroupProblems('rg.')[0]).toMatch(/^placement\.resourceGroup: /);
    expect(resourceGroupProblems('rg/x')[0]).toMatch(/^placement\.resourceGroup: /);
    expect(resourceGroupProblems('r'.repeat(91))[0]).toMatch(/^placement\.resourceGroup: /);
  });

  it('turns a sku into the classification, generation and plan the classifier gives', () => {
    expect(marketplaceSource({ location: 'eastus', publisher: 'RedHat', offer: 'RHEL', sku: '8-lvm-gen2' })).toMatchObject({
      ref: 'marketplace:eastus:RedHat:RHEL:8-lvm-gen2',
      osFamily: 'rhel',
      osVersion: '8',
      licenseModel: 'payg',
      generation: 2,
      plan: null,
      details: { publisher: 'RedHat', offer: 'RHEL', sku: '8-lvm-gen2', version: 'latest' },
    });
    expect(marketplaceSource({ location: 'eastus', publisher: 'RedHat', offer: 'RHEL', sku: '9-lvm' })).toMatchObject({ osVersion: '9', generation: 1 });
    expect(marketplaceSource({ location: 'eastus', publisher: 'RedHat', offer: 'rhel-byos', sku: 'rhel-lvm87' })).toMatchObject({
      osVersion: '8.7',
      licenseModel: 'byos',
      generation: 1,
      plan: { publisher: 'redhat', product: 'rhel-byos', name: 'rhel-lvm87' },
    });
    expect(rhelPlanOf('RHEL', '9-lvm')).toBeNull();
    expect(generationOfSku('9-LVM-GEN2')).toBe(2);
    expect(parseMarketplaceRef('marketplace:eastus:RedHat:RHEL:9-lvm')).toEqual({ location: 'eastus', publisher: 'RedHat', offer: 'RHEL', sku: '9-lvm' });
    expect(parseMarketplaceRef('marketplace:eastus:RedHat:RHEL')).toBeNull();
  });

  it('parses subnet ids only', () => {
    const id = '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet/subnets/default';
    expect(parseSubnetId(id)).toEqual({ subscriptionId: '00000000-0000-0000-0000-000000000001', resourceGroup: 'rg', virtualNetwork: 'vnet', subnet: 'default' });
    expect(parseSubnetId(id.replace('/subnets/default', ''))).toBeNull();
    expect(parseSubnetId(`${id}/extra`)).toBeNull();
  });

  it('checks the admin account: reserved names, OpenSSH keys', () => {
    expect(adminProblems({ username: 'azureuser', sshPublicKey: key('ssh-ed25519') })).toEqual([]);
    expect(adminProblems({ username: 'ops', sshPublicKey: key('ssh-rsa') })).toEqual([]);
    expect(adminProblems({ username: 'ops', sshPublicKey: key('ecdsa-sha2-nistp256') })).toEqual([]);
    expect(adminProblems({ username: 'Admin', sshPublicKey: key('ssh-rsa') })[0]).toMatch(/^admin\.username: 'Admin' is a name Azure reserves/);
    expect(adminProblems({ username: '', sshPublicKey: key('ssh-rsa') })[0]).toMatch(/^admin\.username: must be 1-64/);
    expect(adminProblems({ username: 'a@b', sshPublicKey: key('ssh-rsa') })[0]).toMatch(/^admin\.username: /);
    expect(isOpenSshPublicKey('ssh-dss AAAA')).toBe(false);
    // The blob must name the same type as the line.
    expect(isOpenSshPublicKey(key('ssh-rsa').replace(/^ssh-rsa/, 'ssh-ed25519'))).toBe(false);
    expect(adminProblems({ username: 'ops', sshPublicKey: '-----BEGIN PUBLIC KEY-----' })[0]).toMatch(/^admin\.sshPublicKey: /);
  });

  it('keeps userData within customData\'s 65535 decoded bytes (87,380 base64 characters)', () => {
    expect(userDataProblems(null)).toEqual([]);
    expect(userDataProblems('x'.repeat(65535))).toEqual([]);
    expect(userDataProblems('x'.repeat(65536))[0]).toMatch(/^userData: 65536 bytes .*\(87384 base64 characters, at most 87380/);
  });
});

describe('config.locations', () => {
  const base = { tenantId: '00000000-0000-0000-0000-000000000001', clientId: '00000000-0000-0000-0000-000000000002', subscriptionIds: ['00000000-0000-0000-0000-000000000003'] };
  const secret = { clientSecret: 's3cret' };
  it('accepts region names, refuses anything else, and defaults to none', async () => {
    const { validateAzureConfig, resolveAzureConfig } = await import('./azure-provider.config.js');
    expect(validateAzureConfig({ ...base, locations: ['eastus', 'WestEurope'] }, secret)).toEqual([]);
    expect(validateAzureConfig({ ...base, locations: 'eastus' }, secret)).toEqual([expect.stringMatching(/^config\.locations must be a list/)]);
    expect(validateAzureConfig({ ...base, locations: ['east us'] }, secret)).toEqual([expect.stringMatching(/^config\.locations\[0\] /)]);
    expect(resolveAzureConfig(base).locations).toEqual([]);
    expect(resolveAzureConfig({ ...base, locations: ['WestEurope', 'westeurope'] }).locations).toEqual(['westeurope']);
  });
});
