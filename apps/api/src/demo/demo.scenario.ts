import { Logger } from '@nestjs/common';
import type { AzureSimulator, HyperVHostSimulator } from '@hybridforms/testing';

/**
 * Life in the demo's simulated estate: every few seconds an operator stops, starts, restarts or
 * resizes a VM (now and then creates or deletes one), on Azure or on the Hyper-V host. The
 * simulators log each change as the real services do (Activity Log, VMMS/Worker event logs), so
 * events flow in, targeted refreshes follow, and metrics change with power states.
 */
export class DemoScenario {
  private readonly logger = new Logger('DemoScenario');
  private readonly stopped = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private step = 0;
  private created = 0;

  constructor(
    private readonly azure: AzureSimulator,
    private readonly hyperv: HyperVHostSimulator,
    private readonly seed = 7,
  ) {}

  start(everySeconds: number): void {
    this.timer = setInterval(() => this.tick(), everySeconds * 1000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** One change; deterministic for a seed, so a demo run can be replayed. */
  tick(): void {
    const n = this.step++;
    const pick = <T>(items: T[]): T => items[(n * 7919 + this.seed * 104729) % items.length];
    try {
      if (n % 2 === 0) this.changeAzure(n, pick);
      else this.changeHyperV(pick);
    } catch (error) {
      this.logger.warn(`scenario step ${n} skipped: ${(error as Error).message}`);
    }
  }

  private changeAzure(n: number, pick: <T>(items: T[]) => T): void {
    const subscriptionId = this.azure.subscriptionIds[n % this.azure.subscriptionIds.length];
    if (n % 24 === 10) {
      const name = `rhel9-demo-new-${++this.created}`;
      this.azure.addVm(subscriptionId, {
        name,
        resourceGroup: 'rg-demo-churn',
        imageReference: { publisher: 'RedHat', offer: 'RHEL', sku: '9-lvm-gen2', version: 'latest' },
        guestOsName: 'redhat',
        guestOsVersion: '9.4',
      });
      this.logger.log(`azure: created ${name}`);
      return;
    }
    const vmId = pick(this.azure.vmIds(subscriptionId));
    const name = vmId.split('/').pop();
    if (n % 24 === 22 && this.created > 0) {
      const churned = this.azure.vmIds(subscriptionId).filter((id) => id.includes('rhel9-demo-new-'));
      if (churned.length > 0) {
        this.azure.removeVm(churned[0]);
        this.logger.log(`azure: deleted ${churned[0].split('/').pop()}`);
        return;
      }
    }
    if (n % 6 === 4) {
      this.azure.resizeVm(vmId, n % 12 === 4 ? 'Standard_D4s_v5' : 'Standard_D2s_v5');
      this.logger.log(`azure: resized ${name}`);
    } else if (n % 6 === 2) {
      this.azure.restartVm(vmId);
      this.logger.log(`azure: restarted ${name}`);
    } else if (this.stopped.delete(vmId)) {
      this.azure.setPowerState(vmId, 'running');
      this.logger.log(`azure: started ${name}`);
    } else {
      this.stopped.add(vmId);
      this.azure.setPowerState(vmId, 'deallocated');
      this.logger.log(`azure: deallocated ${name}`);
    }
  }

  private changeHyperV(pick: <T>(items: T[]) => T): void {
    const vmId = pick(this.hyperv.vmIds());
    if (this.stopped.delete(vmId)) {
      this.hyperv.setState(vmId, 'Running');
      this.logger.log(`hyper-v: started ${vmId}`);
    } else if (this.step % 5 === 0) {
      this.hyperv.resetVm(vmId);
      this.logger.log(`hyper-v: reset ${vmId}`);
    } else {
      this.stopped.add(vmId);
      this.hyperv.setState(vmId, 'Off', { cause: 'guest-shutdown' });
      this.logger.log(`hyper-v: shut down ${vmId}`);
    }
  }
}
