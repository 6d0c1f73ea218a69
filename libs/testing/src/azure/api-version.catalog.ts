/**
 * The api-versions each simulated resource type accepts, newest first (ARM lists them so in
 * InvalidApiVersionParameter messages). Each set holds what the pinned SDKs send (observed:
 * arm-compute 24.1.0 → 2026-03-01 and disks 2025-01-02, arm-network 36.0.0 → 2025-05-01,
 * arm-resources 7.0.0 → 2025-04-01) plus older stable versions other clients still use.
 */
export type ApiVersionFamily = 'compute' | 'disks' | 'network' | 'resources' | 'subscriptions';

const COMPUTE = [
  '2026-03-01', '2025-11-01', '2025-04-01', '2024-11-01', '2024-07-01', '2024-03-01', '2023-09-01', '2023-07-01',
  '2023-03-01', '2022-11-01', '2022-08-01', '2022-03-01', '2021-11-01', '2021-07-01', '2021-04-01', '2021-03-01',
  '2020-12-01', '2020-06-01', '2019-12-01', '2019-07-01', '2019-03-01', '2018-10-01', '2018-06-01', '2018-04-01',
  '2017-12-01', '2017-03-30', '2016-04-30-preview', '2016-03-30', '2015-06-15',
];
const DISKS = [
  '2025-01-02', '2024-03-02', '2023-10-02', '2023-04-02', '2023-01-02', '2022-07-02', '2022-03-02', '2021-12-01',
  '2021-08-01', '2021-04-01', '2020-12-01', '2020-09-30', '2020-06-30', '2019-11-01', '2019-07-01', '2019-03-01',
  '2018-09-30', '2018-06-01', '2018-04-01', '2017-03-30',
];
const NETWORK = [
  '2025-05-01', '2025-03-01', '2025-01-01', '2024-10-01', '2024-07-01', '2024-05-01', '2024-03-01', '2024-01-01',
  '2023-11-01', '2023-09-01', '2023-06-01', '2023-05-01', '2023-04-01', '2023-02-01', '2022-11-01', '2022-09-01',
  '2022-07-01', '2022-05-01', '2022-01-01', '2021-08-01', '2021-05-01', '2021-02-01', '2020-11-01', '2020-07-01',
  '2020-05-01', '2019-11-01', '2019-09-01', '2018-12-01', '2018-08-01', '2017-09-01',
];
const RESOURCES = [
  '2025-04-01', '2025-03-01', '2024-11-01', '2024-07-01', '2024-03-01', '2023-07-01', '2022-09-01', '2021-04-01',
  '2021-01-01', '2020-10-01', '2020-08-01', '2020-06-01', '2019-10-01', '2019-08-01', '2019-07-01', '2019-05-10',
  '2019-05-01', '2019-03-01', '2018-05-01', '2018-02-01', '2017-05-10', '2016-09-01', '2016-07-01', '2016-02-01',
  '2015-11-01', '2014-04-01',
];
const SUBSCRIPTIONS = ['2024-11-01', '2022-12-01', '2021-01-01', '2020-01-01', '2019-11-01', '2019-06-01', '2016-06-01', '2015-01-01'];

const SUPPORTED: Record<ApiVersionFamily, readonly string[]> = {
  compute: COMPUTE,
  disks: DISKS,
  network: NETWORK,
  resources: RESOURCES,
  subscriptions: SUBSCRIPTIONS,
};

export function supportedApiVersions(family: ApiVersionFamily): readonly string[] {
  return SUPPORTED[family];
}

export function isSupportedApiVersion(family: ApiVersionFamily, version: string): boolean {
  return SUPPORTED[family].includes(version.toLowerCase());
}
