import { createHttpPoller, type RawResponse } from '@azure/core-lro';
import { ProviderError, ProviderErrorCode } from '@hybridforms/core';
import { toProviderError } from './azure-error.mapper.js';
import { decodeAzureContinuation, encodeAzureContinuation, parseAzureResourceId } from './azure.vm-operator.js';

const SUB = '3f2504e0-4f89-41d3-9a0c-0305e82c3301';
const VM_ID = `/subscriptions/${SUB}/resourcegroups/rg-rhel-prod/providers/microsoft.compute/virtualmachines/rhel9-web-01`;
const VM_TYPE = 'microsoft.compute/virtualmachines';

describe('parseAzureResourceId', () => {
  it('parses the lower-cased id the inventory keeps, and ARM casing too', () => {
    expect(parseAzureResourceId(VM_ID, VM_TYPE)).toEqual({ subscriptionId: SUB, resourceGroup: 'rg-rhel-prod', name: 'rhel9-web-01' });
    const armCased = `/subscriptions/${SUB.toUpperCase()}/resourceGroups/RG_(Prod).1/providers/Microsoft.Compute/virtualMachines/Web01`;
    expect(parseAzureResourceId(armCased, VM_TYPE)).toEqual({ subscriptionId: SUB, resourceGroup: 'RG_(Prod).1', name: 'Web01' });
  });

  it.each([
    ['another type', `/subscriptions/${SUB}/resourcegroups/rg/providers/microsoft.compute/disks/d1`],
    ['a child resource', `${VM_ID}/extensions/omsagent`],
    ['a trailing slash', `${VM_ID}/`],
    ['no leading slash', VM_ID.slice(1)],
    ['a subscription that is no GUID', VM_ID.replace(SUB, 'my-subscription')],
    ['an empty group', `/subscriptions/${SUB}/resourcegroups//providers/microsoft.compute/virtualmachines/vm`],
    ['a path in the name', `/subscriptions/${SUB}/resourcegroups/rg/providers/microsoft.compute/virtualmachines/../vm`],
    ['a path step as the name', `/subscriptions/${SUB}/resourcegroups/rg/providers/microsoft.compute/virtualmachines/..`],
    ['a Hyper-V GUID', '6f1e2d3c-aaaa-bbbb-cccc-0123456789ab'],
  ])('refuses %s', (_case, id) => {
    expect(() => parseAzureResourceId(id, VM_TYPE)).toThrow(ProviderError);
  });
});

describe('Azure continuations', () => {
  const fields = { client: 'compute', subscriptionId: SUB, resourceGroup: 'rg', name: 'vm1', request: 'powerOff', poller: '{"state":{"status":"running"}}' } as const;

  it('round-trips through its JSON text', () => {
    const text = encodeAzureContinuation(fields);
    expect(JSON.parse(text)).toEqual({ v: 1, ...fields });
    expect(decodeAzureContinuation(text)).toEqual({ v: 1, ...fields });
  });

  it.each([
    ['not JSON', 'Azure-AsyncOperation: https://x'],
    ['another version', JSON.stringify({ ...fields, v: 2 })],
    ['an unknown request', JSON.stringify({ v: 1, ...fields, request: 'redeploy' })],
    ['a client that cannot restore the request', JSON.stringify({ v: 1, ...fields, client: 'network' })],
    ['no poller state', JSON.stringify({ v: 1, ...fields, poller: '' })],
  ])('refuses %s', (_case, text) => {
    expect(() => decodeAzureContinuation(text)).toThrow(/not one the Azure plugin wrote/);
  });
});

describe('the async failure of an operation', () => {
  const statusUrl = `https://management.azure.com/subscriptions/${SUB}/providers/Microsoft.Compute/locations/eastus/operations/6a3b1c2d`;

  /** Drives core-lro's real poller over a recorded 202 and a recorded status answer. */
  async function pollToEnd(statusBody: unknown): Promise<unknown> {
    const accepted: RawResponse = {
      statusCode: 202,
      headers: { 'azure-asyncoperation': statusUrl, 'retry-after': '0' },
      request: { method: 'POST', url: `https://management.azure.com${VM_ID}/start?api-version=2026-03-01` },
    };
    const poller = createHttpPoller(
      {
        sendInitialRequest: async () => ({ flatResponse: undefined, rawResponse: accepted }),
        sendPollRequest: async () => ({ flatResponse: statusBody, rawResponse: { statusCode: 200, headers: {}, body: statusBody, request: accepted.request } }),
      },
      { intervalInMs: 0 },
    );
    return poller.pollUntilDone().then(
      () => undefined,
      (e: unknown) => e,
    );
  }

  it("keeps Azure's code and message, and calls a capacity failure temporary", async () => {
    const raised = await pollToEnd({
      name: '6a3b1c2d',
      status: 'Failed',
      startTime: '2026-01-01T00:00:00.0000000+00:00',
      endTime: '2026-01-01T00:00:03.0000000+00:00',
      error: { code: 'AllocationFailed', message: 'Allocation failed. We do not have sufficient capacity for the requested VM size in this region.' },
    });
    const error = toProviderError(raised, { operation: 'start of VM rhel9-web-01', subscriptionId: SUB });
    expect(error.message).toBe(
      `start of VM rhel9-web-01 in subscription ${SUB} failed: Azure reported the operation Failed: AllocationFailed: ` +
        'Allocation failed. We do not have sufficient capacity for the requested VM size in this region.',
    );
    expect([error.code, error.retryable]).toEqual([ProviderErrorCode.Temporary, true]);
  });

  it('calls other failures final, and says when Azure gave no reason', async () => {
    const provisioning = toProviderError(await pollToEnd({ status: 'Failed', error: { code: 'OSProvisioningTimedOut', message: 'OS Provisioning did not finish in the allotted time.' } }), {
      operation: 'start',
    });
    expect(provisioning.message).toContain('Failed: OSProvisioningTimedOut: OS Provisioning did not finish in the allotted time.');
    expect([provisioning.code, provisioning.retryable]).toEqual([ProviderErrorCode.Unknown, false]);

    const silent = toProviderError(await pollToEnd({ status: 'Failed' }), { operation: 'start' });
    expect(silent.message).toContain('Azure reported the operation Failed without saying why');
    const canceled = toProviderError(await pollToEnd({ status: 'Canceled' }), { operation: 'start' });
    expect(canceled.message).toContain('Azure canceled the operation');
  });
});
