import type { ResourceModule } from './resource';

/** A count of people or their choices; `value` is null when withheld (small-cell suppression). */
export interface AggregateCount {
  readonly value: number | null;
  readonly suppressed: boolean;
  readonly fewerThan: number | null;
}

export const CONSENT_COUNTS = ['granted', 'denied', 'withdrawn', 'objected'] as const;
export type ConsentCount = (typeof CONSENT_COUNTS)[number];

export type ConsentTrendPoint = { readonly start: string; readonly purpose: string } & Readonly<
  Record<ConsentCount, AggregateCount>
>;

export interface ConsentTrend {
  readonly bucket: 'DAY' | 'MONTH';
  readonly from: string;
  readonly to: string;
  readonly minimumCell: number;
  readonly points: readonly ConsentTrendPoint[];
}

export type PurposeConsentRate = {
  readonly purpose: string;
  readonly grantedShare: number | null;
} & Readonly<Record<ConsentCount | 'noAnswer', AggregateCount>>;

export interface ConsentRates {
  readonly minimumCell: number;
  readonly liveContacts: AggregateCount;
  readonly purposes: readonly PurposeConsentRate[];
}

export interface AlertSummary {
  readonly open: number;
  readonly acknowledged: number;
  readonly rules: readonly { ruleId: string; kind: string; open: number; acknowledged: number }[];
}

export const REVIEW_AGES = ['UNDER_1_DAY', 'DAYS_1_TO_7', 'DAYS_7_TO_30', 'OVER_30_DAYS'] as const;
export interface DuplicateReviewSummary {
  readonly open: number;
  readonly byAge: readonly { age: (typeof REVIEW_AGES)[number]; open: number }[];
}

const COUNT = 'value suppressed fewerThan';

/** Ledger events per month, purpose and status (the last 12 complete months, the server's default). */
export const CONSENT_TREND = /* GraphQL */ `
  query ConsoleConsentTrend {
    consentTrend(bucket: MONTH) {
      bucket
      from
      to
      minimumCell
      points {
        start
        purpose
        granted { ${COUNT} }
        denied { ${COUNT} }
        withdrawn { ${COUNT} }
        objected { ${COUNT} }
      }
    }
  }
`;

export const CONSENT_RATES = /* GraphQL */ `
  query ConsoleConsentRates {
    consentRates {
      minimumCell
      liveContacts { ${COUNT} }
      purposes {
        purpose
        granted { ${COUNT} }
        denied { ${COUNT} }
        withdrawn { ${COUNT} }
        objected { ${COUNT} }
        noAnswer { ${COUNT} }
        grantedShare
      }
    }
  }
`;

export const ALERT_SUMMARY = /* GraphQL */ `
  query ConsoleAlertSummary {
    alertSummary {
      open
      acknowledged
      rules {
        ruleId
        kind
        open
        acknowledged
      }
    }
  }
`;

export const DUPLICATE_REVIEW_SUMMARY = /* GraphQL */ `
  query ConsoleDuplicateReviewSummary {
    duplicateReviewSummary {
      open
      byAge {
        age
        open
      }
    }
  }
`;

/** The custom methods of the dataProvider for the dashboard (useDataProvider<DashboardQueries>()). */
export type DashboardQueries = {
  readonly consentTrend: (signal?: AbortSignal) => Promise<ConsentTrend>;
  readonly consentRates: (signal?: AbortSignal) => Promise<ConsentRates>;
  readonly alertSummary: (signal?: AbortSignal) => Promise<AlertSummary>;
  readonly duplicateReviewSummary: (signal?: AbortSignal) => Promise<DuplicateReviewSummary>;
};

/**
 * `dashboard`: the server's aggregate queries (no row, no personal field), each behind its own canAccess action
 * (auth/access.ts); nothing is counted in the browser.
 */
export const dashboardResource: ResourceModule = {
  name: 'dashboard',
  handlers: () => ({}),
  methods: ({ graphql, assertAllowed }): DashboardQueries => {
    const run = async <K extends keyof DashboardQueries>(
      field: K,
      document: string,
      signal?: AbortSignal,
    ): Promise<Awaited<ReturnType<DashboardQueries[K]>>> => {
      assertAllowed(field, 'dashboard');
      const result = await graphql<Record<K, Awaited<ReturnType<DashboardQueries[K]>>>>(document, {}, signal);
      return result.data[field];
    };
    return {
      consentTrend: (signal) => run('consentTrend', CONSENT_TREND, signal),
      consentRates: (signal) => run('consentRates', CONSENT_RATES, signal),
      alertSummary: (signal) => run('alertSummary', ALERT_SUMMARY, signal),
      duplicateReviewSummary: (signal) => run('duplicateReviewSummary', DUPLICATE_REVIEW_SUMMARY, signal),
    };
  },
};
