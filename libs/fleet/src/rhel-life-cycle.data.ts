/**
 * The RHEL life-cycle table, as data. Dates are calendar days (UTC), each the LAST day still
 * covered. Validated by loadRhelLifeCycle at start-up; update it when Red Hat publishes a minor.
 *
 * Sources (the primary ones, which the dates are meant to match):
 * - Red Hat, "Red Hat Enterprise Linux Life Cycle",
 *   https://access.redhat.com/support/policy/updates/errata (phases per major, planning guides)
 * - Red Hat, "Red Hat Enterprise Linux (RHEL) Extended Update Support (EUS) Overview",
 *   https://access.redhat.com/articles/rhel-eus (EUS minors and their end dates)
 *
 * Read on 2026-12-08 through a search index, which did not hold the date tables of those two pages
 * (only their prose: three phases for 8 and later, ELS as an add-on after maintenance, EUS keeps a
 * minor for 24 months). The dates were therefore taken from two secondary copies of those pages:
 * - endoflife.date, products/rhel.md (filled automatically from Red Hat's product life-cycle
 *   data): GA, end of full support, end of maintenance, end of ELS for majors 7, 8, 9;
 * - Red Hat Insights' digital-roadmap-backend (RedHatInsights/digital-roadmap-backend, its
 *   OS_LIFECYCLE_DATES table): GA and EUS / E4S end of each 8.x and 9.x minor.
 * Every date not confirmed by two sources, or known only from memory or a plan, carries
 * `unconfirmed` with what is uncertain. Nothing here is guessed silently.
 *
 * `supportEnds` of a minor: the day before the next minor came out (from then on updates go to the
 * next minor); null while it is the newest. The last minor of a major (`final`) lives until the
 * major's maintenance end, then under ELS. `eusEnds`: the EUS end for minors sold with EUS.
 * `e4sEnds` (Update Services for SAP Solutions, the RHEL for SAP images) is kept for the report;
 * the support status does not use it.
 */
export const RHEL_LIFE_CYCLE_DATA = {
  readOn: '2026-12-08',
  sources: [
    { title: 'Red Hat Enterprise Linux Life Cycle', url: 'https://access.redhat.com/support/policy/updates/errata' },
    { title: 'Red Hat Enterprise Linux (RHEL) Extended Update Support (EUS) Overview', url: 'https://access.redhat.com/articles/rhel-eus' },
    { title: 'endoflife.date: Red Hat Enterprise Linux (secondary copy)', url: 'https://endoflife.date/rhel' },
    { title: 'RedHatInsights/digital-roadmap-backend OS_LIFECYCLE_DATES (secondary copy)', url: 'https://github.com/RedHatInsights/digital-roadmap-backend' },
  ],
  majors: [
    {
      major: 7,
      generalAvailability: '2014-06-10',
      fullSupportEnds: '2019-08-06',
      maintenanceEnds: '2024-06-30',
      elsEnds: '2028-06-30',
      unconfirmed: 'elsEnds from endoflife.date only; Red Hat has extended RHEL 7 ELS before, check the life-cycle page',
      minors: [
        // RHEL 7 minors before 7.9 ended long before 7's maintenance end; their GA dates are from
        // memory (release notes), and their EUS (7.x EUS ended by 2021) is not modelled.
        { minor: 0, releaseDate: '2014-06-10', supportEnds: '2015-03-04', unconfirmed: 'GA and supportEnds from memory' },
        { minor: 1, releaseDate: '2015-03-05', supportEnds: '2015-11-18', unconfirmed: 'GA and supportEnds from memory' },
        { minor: 2, releaseDate: '2015-11-19', supportEnds: '2016-11-02', unconfirmed: 'GA and supportEnds from memory' },
        { minor: 3, releaseDate: '2016-11-03', supportEnds: '2017-07-31', unconfirmed: 'GA and supportEnds from memory' },
        { minor: 4, releaseDate: '2017-08-01', supportEnds: '2018-04-09', unconfirmed: 'GA and supportEnds from memory' },
        { minor: 5, releaseDate: '2018-04-10', supportEnds: '2018-10-29', unconfirmed: 'GA and supportEnds from memory' },
        { minor: 6, releaseDate: '2018-10-30', supportEnds: '2019-08-05', unconfirmed: 'GA and supportEnds from memory' },
        { minor: 7, releaseDate: '2019-08-06', supportEnds: '2020-03-30', unconfirmed: 'GA and supportEnds from memory' },
        { minor: 8, releaseDate: '2020-03-31', supportEnds: '2020-09-28', unconfirmed: 'GA and supportEnds from memory' },
        { minor: 9, releaseDate: '2020-09-29', supportEnds: '2024-06-30', final: true },
      ],
    },
    {
      major: 8,
      generalAvailability: '2019-05-07',
      fullSupportEnds: '2024-05-31',
      maintenanceEnds: '2029-05-31',
      elsEnds: '2032-05-31',
      minors: [
        { minor: 0, releaseDate: '2019-05-07', supportEnds: '2019-11-04' },
        { minor: 1, releaseDate: '2019-11-05', supportEnds: '2020-04-27', eusEnds: '2021-11-30', e4sEnds: '2023-11-30', unconfirmed: 'eusEnds from memory (the roadmap copy lists only E4S for 8.1)' },
        { minor: 2, releaseDate: '2020-04-28', supportEnds: '2020-11-02', eusEnds: '2022-04-30', e4sEnds: '2024-04-30', unconfirmed: 'eusEnds from memory (the roadmap copy lists only E4S for 8.2)' },
        { minor: 3, releaseDate: '2020-11-03', supportEnds: '2021-05-17' },
        { minor: 4, releaseDate: '2021-05-18', supportEnds: '2021-11-08', eusEnds: '2023-05-31', e4sEnds: '2025-05-31', unconfirmed: 'e4sEnds from memory' },
        { minor: 5, releaseDate: '2021-11-09', supportEnds: '2022-05-09' },
        { minor: 6, releaseDate: '2022-05-10', supportEnds: '2022-11-08', eusEnds: '2024-05-31', e4sEnds: '2026-05-31' },
        { minor: 7, releaseDate: '2022-11-09', supportEnds: '2023-05-15' },
        { minor: 8, releaseDate: '2023-05-16', supportEnds: '2023-11-13', eusEnds: '2025-05-31', e4sEnds: '2027-05-31' },
        { minor: 9, releaseDate: '2023-11-14', supportEnds: '2024-05-21' },
        { minor: 10, releaseDate: '2024-05-22', supportEnds: '2029-05-31', final: true },
      ],
    },
    {
      major: 9,
      generalAvailability: '2022-05-18',
      fullSupportEnds: '2027-05-31',
      maintenanceEnds: '2032-05-31',
      elsEnds: '2035-05-31',
      minors: [
        { minor: 0, releaseDate: '2022-05-18', supportEnds: '2022-11-14', eusEnds: '2024-05-31', e4sEnds: '2026-05-31' },
        { minor: 1, releaseDate: '2022-11-15', supportEnds: '2023-05-09' },
        { minor: 2, releaseDate: '2023-05-10', supportEnds: '2023-11-06', eusEnds: '2025-05-31', e4sEnds: '2027-05-31' },
        { minor: 3, releaseDate: '2023-11-07', supportEnds: '2024-04-29' },
        { minor: 4, releaseDate: '2024-04-30', supportEnds: '2024-11-11', eusEnds: '2026-04-30', e4sEnds: '2028-04-30' },
        { minor: 5, releaseDate: '2024-11-12', supportEnds: '2025-05-14', unconfirmed: 'supportEnds follows 9.6 GA, see 9.6' },
        {
          minor: 6,
          releaseDate: '2025-05-15',
          supportEnds: '2025-10-31',
          eusEnds: '2027-05-31',
          e4sEnds: '2029-05-31',
          unconfirmed: 'GA (roadmap copy says 2025-05-15, the GA announcement may say 2025-05-20) and EUS/E4S end (roadmap copy says the 30th, Red Hat ends EUS on a month end) not confirmed on the primary pages',
        },
        { minor: 7, releaseDate: '2025-11-01', supportEnds: null, unconfirmed: 'GA is the planned month (November 2025) from the roadmap copy; 9.8, due May 2026, is not in the table yet, so 9.7 counts as the newest' },
      ],
    },
    {
      major: 10,
      generalAvailability: '2025-05-20',
      fullSupportEnds: '2030-05-31',
      maintenanceEnds: '2035-05-31',
      elsEnds: '2038-05-31',
      unconfirmed: 'all RHEL 10 dates from memory of the 10.0 announcement (ten years plus three of ELS), not read on the primary page',
      minors: [
        { minor: 0, releaseDate: '2025-05-20', supportEnds: '2025-10-31', eusEnds: '2027-05-31', unconfirmed: 'GA, EUS for 10.0 and its end from memory' },
        { minor: 1, releaseDate: '2025-11-01', supportEnds: null, unconfirmed: 'GA is the planned month (November 2025) from the roadmap copy' },
      ],
    },
  ],
} as const;
