import { Box, Card, CardContent, Typography } from '@mui/material';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import {
  CanAccess,
  type DataProvider,
  Link,
  Title,
  useCanAccess,
  useDataProvider,
  useLocaleState,
  useTranslate,
} from 'react-admin';
import { currentPurpose } from '../auth/session';
import { type AggregateCount, CONSENT_COUNTS, type DashboardQueries } from '../data/dashboard';
import { type ChartColumn, ChartTable } from './ChartTable';
import { countText, monthLabel } from './counts';
import { PurposePicker } from './PurposePicker';
import { Section } from './Section';

type Query = keyof DashboardQueries;
type Answer<K extends Query> = Awaited<ReturnType<DashboardQueries[K]>>;
type Translate = ReturnType<typeof useTranslate>;

/** One aggregate query, sent only when the declared purpose may run it (canAccess), keyed by that purpose. */
function useAggregate<K extends Query>(field: K) {
  const dataProvider = useDataProvider<DataProvider & DashboardQueries>();
  const { canAccess } = useCanAccess({ resource: 'dashboard', action: field });
  const query = useQuery<Answer<K>>({
    queryKey: ['dashboard', field, currentPurpose()],
    queryFn: ({ signal }) => dataProvider[field](signal) as Promise<Answer<K>>,
    enabled: canAccess === true,
    retry: false,
  });
  return { allowed: canAccess === true, ...query };
}

/** The section of one aggregate query: nothing when the purpose may not run it, else its card with `render`. */
function Aggregate<K extends Query>({
  field,
  title,
  render,
}: {
  field: K;
  title: string;
  render: (data: Answer<K>) => React.ReactNode;
}) {
  const aggregate = useAggregate(field);
  if (!aggregate.allowed) return null;
  return (
    <Section id={`custos-${field}`} title={title} isPending={aggregate.isPending} error={aggregate.error}>
      {() => render(aggregate.data as Answer<K>)}
    </Section>
  );
}

/** A column of people's counts: withheld ones are no bar in the chart and "withheld" / "fewer than N" in the table. */
const countColumn = (
  key: string,
  label: string,
  counts: readonly AggregateCount[],
  translate: Translate,
): ChartColumn => ({
  key,
  label,
  values: counts.map((count) => count.value),
  texts: counts.map((count) => countText(count, translate)),
});

/** A column of whole counts (work queues, never withheld). */
const wholeColumn = (key: string, label: string, counts: readonly number[]): ChartColumn => ({
  key,
  label,
  values: counts,
  texts: counts.map(String),
});

const statusLabel = (translate: Translate, status: string) =>
  translate(`custos.consent.statuses.${status.toUpperCase()}`);

const TrendSection = () => {
  const translate = useTranslate();
  const [locale] = useLocaleState();
  const [chosen, setChosen] = useState<string>();
  return (
    <Aggregate
      field="consentTrend"
      title="custos.dashboard.trend"
      render={(data) => {
        const purposes = [...new Set(data.points.map((point) => point.purpose))];
        const purpose = chosen && purposes.includes(chosen) ? chosen : purposes[0];
        const points = data.points.filter((point) => point.purpose === purpose);
        return (
          <>
            <PurposePicker purposes={purposes} value={purpose} onChange={setChosen} />
            {points.length === 0 ? (
              <Typography>{translate('custos.dashboard.trend_empty')}</Typography>
            ) : (
              <ChartTable
                caption={translate('custos.dashboard.trend_caption', {
                  purpose: translate(`custos.purposes.${purpose}`, { _: purpose }),
                  n: data.minimumCell,
                })}
                rowHeader={translate('custos.dashboard.month')}
                rows={points.map((point) => monthLabel(point.start, locale))}
                columns={CONSENT_COUNTS.map((status) =>
                  countColumn(
                    status,
                    statusLabel(translate, status),
                    points.map((point) => point[status]),
                    translate,
                  ),
                )}
              />
            )}
          </>
        );
      }}
    />
  );
};

const RatesSection = () => {
  const translate = useTranslate();
  return (
    <Aggregate
      field="consentRates"
      title="custos.dashboard.rates"
      render={(data) => (
        <ChartTable
          stacked
          caption={translate('custos.dashboard.rates_caption', {
            live: countText(data.liveContacts, translate),
            n: data.minimumCell,
          })}
          rowHeader={translate('custos.dashboard.purpose')}
          rows={data.purposes.map((rate) =>
            translate(`custos.purposes.${rate.purpose}`, { _: rate.purpose }),
          )}
          columns={[
            ...([...CONSENT_COUNTS, 'noAnswer'] as const).map((column) =>
              countColumn(
                column,
                translate(`custos.dashboard.rate_columns.${column}`),
                data.purposes.map((rate) => rate[column]),
                translate,
              ),
            ),
            {
              key: 'grantedShare',
              label: translate('custos.dashboard.granted_share'),
              texts: data.purposes.map((rate) =>
                rate.grantedShare === null
                  ? translate('custos.dashboard.withheld')
                  : `${(rate.grantedShare * 100).toFixed(1)} %`,
              ),
            },
          ]}
        />
      )}
    />
  );
};

const AlertsSection = () => {
  const translate = useTranslate();
  return (
    <Aggregate
      field="alertSummary"
      title="custos.dashboard.alerts"
      render={(data) =>
        data.rules.length === 0 ? (
          <Typography>{translate('custos.dashboard.alerts_empty')}</Typography>
        ) : (
          <ChartTable
            caption={translate('custos.dashboard.alerts_caption', {
              open: data.open,
              acknowledged: data.acknowledged,
            })}
            rowHeader={translate('custos.dashboard.rule')}
            rows={data.rules.map((rule) => rule.ruleId)}
            columns={[
              {
                key: 'kind',
                label: translate('custos.dashboard.kind'),
                words: true,
                texts: data.rules.map((rule) => rule.kind),
              },
              ...(['open', 'acknowledged'] as const).map((state) =>
                wholeColumn(
                  state,
                  translate(`custos.dashboard.alert_states.${state}`),
                  data.rules.map((rule) => rule[state]),
                ),
              ),
            ]}
          />
        )
      }
    />
  );
};

const ReviewsSection = () => {
  const translate = useTranslate();
  return (
    <Aggregate
      field="duplicateReviewSummary"
      title="custos.dashboard.reviews"
      render={(data) => (
        <>
          <ChartTable
            caption={translate('custos.dashboard.reviews_caption', { open: data.open })}
            rowHeader={translate('custos.dashboard.age')}
            rows={data.byAge.map((age) => translate(`custos.dashboard.ages.${age.age}`, { _: age.age }))}
            columns={[
              wholeColumn(
                'open',
                translate('custos.dashboard.alert_states.open'),
                data.byAge.map((age) => age.open),
              ),
            ]}
          />
          <CanAccess action="list" resource="contactDuplicates">
            <Link to="/contactDuplicates">{translate('custos.duplicates.open_queue')}</Link>
          </CanAccess>
        </>
      )}
    />
  );
};

/** True when the declared purpose may run any of the dashboard's aggregate queries. */
function useAnyAggregate(): { any: boolean; checking: boolean } {
  const checks = [
    useCanAccess({ resource: 'dashboard', action: 'consentTrend' }),
    useCanAccess({ resource: 'dashboard', action: 'consentRates' }),
    useCanAccess({ resource: 'dashboard', action: 'alertSummary' }),
    useCanAccess({ resource: 'dashboard', action: 'duplicateReviewSummary' }),
  ];
  return {
    any: checks.some((check) => check.canAccess === true),
    checking: checks.some((check) => check.isPending),
  };
}

/**
 * The console's home page. For a purpose that may run the aggregate queries: consent events per month, current
 * consent rates, alerts by rule and state, open duplicate reviews by age — each a chart over the server's counts,
 * with its table (withheld counts say so, never 0). For any other purpose: a welcome, and no aggregate request.
 */
export const Dashboard = () => {
  const translate = useTranslate();
  const { any, checking } = useAnyAggregate();
  return (
    <Box sx={{ mt: 2 }}>
      <Title title="custos.dashboard.title" />
      <Typography variant="h5" component="h1" gutterBottom>
        {translate('custos.dashboard.title')}
      </Typography>
      {!checking && !any ? (
        <Card>
          <CardContent>
            <Typography>{translate('custos.dashboard.welcome')}</Typography>
          </CardContent>
        </Card>
      ) : (
        <>
          <TrendSection />
          <RatesSection />
          <AlertsSection />
          <ReviewsSection />
        </>
      )}
    </Box>
  );
};
