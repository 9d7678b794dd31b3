import {
  Alert,
  Badge,
  Button,
  Code,
  Group,
  Loader,
  Paper,
  Progress,
  SegmentedControl,
  SimpleGrid,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, Tooltip } from 'chart.js';
import { useEffect, useRef, useState } from 'react';
import {
  type Approval,
  type AuditStatus,
  api,
  type BlockedCall,
  type BudgetView,
  type PolicyView,
  type SpendSeries,
} from './api';
import { amount, attributionText, usd, usePoll, when } from './hooks';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Legend, Tooltip);

export interface PageProps {
  refreshMs: number;
  onUnauthenticated: () => void;
}

/** `37%`, `<1%` for a little, `0%` for nothing. */
function percent(fraction: number): string {
  if (fraction > 0 && fraction < 0.01) return '<1%';
  return `${Math.floor(fraction * 100)}%`;
}

const STATUS_COLOR = { Active: 'green', Warning: 'yellow', Exceeded: 'red' } as const;

function Failure({ error }: { error: string | undefined }) {
  return error ? (
    <Alert color="red" title="Could not load" data-testid="load-error">
      {error}
    </Alert>
  ) : null;
}

export function BudgetsPage({ refreshMs, onUnauthenticated }: PageProps) {
  const { data, error } = usePoll<{ budgets: BudgetView[]; openReservations: number; at: string }>(
    'budgets',
    refreshMs,
    onUnauthenticated,
  );
  if (!data) return error ? <Failure error={error} /> : <Loader />;
  return (
    <Stack>
      <Failure error={error} />
      <Text size="sm" c="dimmed">
        {data.budgets.length} budget lines · {data.openReservations} open reservations · read {data.at}
      </Text>
      <Table striped data-testid="budgets-table">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Budget</Table.Th>
            <Table.Th>For</Table.Th>
            <Table.Th>Period</Table.Th>
            <Table.Th>Used</Table.Th>
            <Table.Th>Reserved</Table.Th>
            <Table.Th>Limit</Table.Th>
            <Table.Th>Utilisation</Table.Th>
            <Table.Th>Status</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {data.budgets.map((row) => (
            <Table.Tr key={`${row.budget}|${JSON.stringify(row.per)}|${row.period}`} data-budget={row.budget}>
              <Table.Td>{row.budget}</Table.Td>
              <Table.Td>{Object.keys(row.per).length ? attributionText(row.per) : '(all)'}</Table.Td>
              <Table.Td>
                {row.period}
                {row.window ? ` (${row.window})` : ''}
              </Table.Td>
              <Table.Td>{amount(row.used, row.unit)}</Table.Td>
              <Table.Td>{amount(row.reserved, row.unit)}</Table.Td>
              <Table.Td>{amount(row.limit, row.unit)}</Table.Td>
              <Table.Td miw={140}>
                {row.utilisation === null ? (
                  '—'
                ) : (
                  <Group gap="xs" wrap="nowrap">
                    <Progress value={Math.min(100, row.utilisation * 100)} color={STATUS_COLOR[row.status]} w={90} />
                    <Text size="sm">{percent(row.utilisation)}</Text>
                  </Group>
                )}
              </Table.Td>
              <Table.Td>
                <Badge color={STATUS_COLOR[row.status]}>{row.status}</Badge>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      {data.budgets.length === 0 ? (
        <Text>No budgets: the policy in force has none and the store holds none.</Text>
      ) : null}
    </Stack>
  );
}

const PALETTE = [
  '#228be6',
  '#40c057',
  '#fab005',
  '#fa5252',
  '#7950f2',
  '#15aabf',
  '#fd7e14',
  '#e64980',
  '#82c91e',
  '#868e96',
];

export function SpendPage({ refreshMs, onUnauthenticated }: PageProps) {
  const [by, setBy] = useState('team');
  const [range, setRange] = useState('24h');
  const query =
    range === '24h' ? 'bucket=hour&hours=24' : range === '7d' ? 'bucket=day&hours=168' : 'bucket=day&hours=720';
  const { data, error } = usePoll<SpendSeries>(`spend?by=${by}&${query}`, refreshMs, onUnauthenticated);
  const canvas = useRef<HTMLCanvasElement>(null);
  const chart = useRef<Chart | null>(null);
  useEffect(() => {
    if (!canvas.current || !data) return;
    const labels = data.buckets.map((start) =>
      data.bucket === 'hour' ? new Date(start).toISOString().slice(11, 16) : new Date(start).toISOString().slice(0, 10),
    );
    const datasets = data.series.slice(0, 10).map((series, position) => ({
      label: series.key,
      data: series.usd,
      backgroundColor: PALETTE[position % PALETTE.length],
      stack: 'spend',
    }));
    if (chart.current) {
      chart.current.data = { labels, datasets };
      chart.current.update('none');
      return;
    }
    chart.current = new Chart(canvas.current, {
      type: 'bar',
      data: { labels, datasets },
      options: {
        animation: false,
        maintainAspectRatio: false,
        scales: { x: { stacked: true }, y: { stacked: true, title: { display: true, text: 'USD' } } },
      },
    });
  }, [data]);
  useEffect(
    () => () => {
      chart.current?.destroy();
      chart.current = null;
    },
    [],
  );
  return (
    <Stack>
      <Group>
        <SegmentedControl
          value={by}
          onChange={setBy}
          data={['team', 'project', 'model', 'customer', 'environment', 'provider'].map((value) => ({
            value,
            label: value,
          }))}
          data-testid="spend-by"
        />
        <SegmentedControl value={range} onChange={setRange} data={['24h', '7d', '30d']} />
      </Group>
      <Failure error={error} />
      <Paper withBorder p="md">
        <div className="chart-box">
          <canvas ref={canvas} data-testid="spend-chart" />
        </div>
      </Paper>
      {data ? (
        <Table data-testid="spend-table">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{by}</Table.Th>
              <Table.Th>Spend</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {data.series.map((series) => (
              <Table.Tr key={series.key}>
                <Table.Td>{series.key}</Table.Td>
                <Table.Td>{usd(series.totalUsd)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      ) : null}
      {data ? (
        <Text size="sm" c="dimmed" data-testid="spend-total">
          Total {usd(data.totalUsd)} in this range
        </Text>
      ) : null}
    </Stack>
  );
}

export function BlockedPage({ refreshMs, onUnauthenticated }: PageProps) {
  const { data, error } = usePoll<{ blocked: BlockedCall[] }>('blocked?limit=200', refreshMs, onUnauthenticated);
  if (!data) return error ? <Failure error={error} /> : <Loader />;
  return (
    <Stack>
      <Failure error={error} />
      {data.blocked.length === 0 ? <Text>No blocked calls in the audit trail.</Text> : null}
      <Table striped data-testid="blocked-table">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>When (UTC)</Table.Th>
            <Table.Th>Result</Table.Th>
            <Table.Th>Reason</Table.Th>
            <Table.Th>Rule</Table.Th>
            <Table.Th>Call</Table.Th>
            <Table.Th>For</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {data.blocked.map((call) => (
            <Table.Tr key={call.id}>
              <Table.Td>{when(call.at)}</Table.Td>
              <Table.Td>
                <Badge color={call.result === 'RATE_LIMITED' ? 'orange' : 'red'}>{call.result}</Badge>
              </Table.Td>
              <Table.Td>{call.reasonCode ?? '—'}</Table.Td>
              <Table.Td>{call.rule ?? '—'}</Table.Td>
              <Table.Td>
                {call.provider}/{call.model} ({call.operation})
              </Table.Td>
              <Table.Td>{attributionText(call.attribution)}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Stack>
  );
}

const APPROVAL_COLOR = { pending: 'yellow', approved: 'green', denied: 'red', timed_out: 'gray' } as const;

export function ApprovalsPage({ refreshMs, onUnauthenticated }: PageProps) {
  const [show, setShow] = useState('pending');
  const { data, error, reload } = usePoll<{ approvals: Approval[]; now: number }>(
    `approvals?status=${show}`,
    refreshMs,
    onUnauthenticated,
  );
  const [reasons, setReasons] = useState<Record<string, string>>({});
  const [message, setMessage] = useState<{ ok: boolean; text: string } | undefined>(undefined);
  const decide = async (approval: Approval, decision: 'approve' | 'deny') => {
    const reason = reasons[approval.id]?.trim();
    try {
      const result = await api<{ approval: Approval }>(`approvals/${encodeURIComponent(approval.id)}/${decision}`, {
        method: 'POST',
        body: reason ? { reason } : {},
      });
      setMessage({ ok: true, text: `${result.approval.status} ${approval.id} as ${result.approval.decidedBy}` });
    } catch (caught) {
      setMessage({ ok: false, text: caught instanceof Error ? caught.message : String(caught) });
    }
    await reload();
  };
  return (
    <Stack>
      <SegmentedControl value={show} onChange={setShow} data={['pending', 'all']} w={200} />
      <Failure error={error} />
      {message ? (
        <Alert color={message.ok ? 'green' : 'red'} data-testid="decision-message">
          {message.text}
        </Alert>
      ) : null}
      {data && data.approvals.length === 0 ? <Text>No {show === 'pending' ? 'pending ' : ''}approvals.</Text> : null}
      <SimpleGrid cols={1}>
        {(data?.approvals ?? []).map((approval) => (
          <Paper key={approval.id} withBorder p="md" data-testid="approval" data-approval-id={approval.id}>
            <Group justify="space-between">
              <Text fw={600}>
                {approval.provider}/{approval.model} ({approval.operation}) · up to {usd(approval.estimatedCostUsd)}
              </Text>
              <Badge color={APPROVAL_COLOR[approval.status]}>{approval.status.replace('_', ' ')}</Badge>
            </Group>
            <Text size="sm">{approval.reason}</Text>
            <Text size="sm" c="dimmed">
              {attributionText(approval.attribution)} · rule {approval.rule} · asked {when(approval.createdAt)} · waits
              until {when(approval.expiresAt)} · id <Code>{approval.id}</Code>
            </Text>
            {approval.status === 'pending' ? (
              <Group mt="sm" align="end">
                <TextInput
                  label="Reason"
                  placeholder="required to deny"
                  value={reasons[approval.id] ?? ''}
                  onChange={(event) => setReasons({ ...reasons, [approval.id]: event.currentTarget.value })}
                  data-testid="reason"
                  w={320}
                />
                <Button color="green" onClick={() => void decide(approval, 'approve')} data-testid="approve">
                  Approve
                </Button>
                <Button color="red" onClick={() => void decide(approval, 'deny')} data-testid="deny">
                  Deny
                </Button>
              </Group>
            ) : (
              <Text size="sm" data-testid="decided">
                {approval.status.replace('_', ' ')} by {approval.decidedBy ?? '—'}
                {approval.decidedAt ? ` at ${when(approval.decidedAt)}` : ''}
                {approval.decisionReason ? `: ${approval.decisionReason}` : ''}
              </Text>
            )}
          </Paper>
        ))}
      </SimpleGrid>
    </Stack>
  );
}

export function AuditPage({ refreshMs, onUnauthenticated }: PageProps) {
  const { data, error } = usePoll<AuditStatus>('audit', Math.max(refreshMs, 10_000), onUnauthenticated);
  if (!data) return error ? <Failure error={error} /> : <Loader />;
  const { verification } = data;
  return (
    <Stack>
      <Failure error={error} />
      <Alert
        color={verification.ok ? 'green' : 'red'}
        title={verification.ok ? 'Audit chain intact' : 'Audit chain broken'}
        data-testid="audit-status"
      >
        {verification.checked} records checked
        {verification.lastSeq !== undefined
          ? `, head #${verification.lastSeq} ${verification.lastHash?.slice(0, 16)}…`
          : ''}
        , {verification.checkpoints} checkpoints · checked {data.checkedAt}
        {verification.problems.map((problem) => (
          <Text key={`${problem.kind}-${problem.seq}-${problem.message}`} size="sm">
            {problem.message}
          </Text>
        ))}
      </Alert>
      <Title order={4}>Latest records</Title>
      <Table striped data-testid="audit-table">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>#</Table.Th>
            <Table.Th>When (UTC)</Table.Th>
            <Table.Th>Type</Table.Th>
            <Table.Th>Subject</Table.Th>
            <Table.Th>Details</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {data.records.map((record) => (
            <Table.Tr key={record.seq}>
              <Table.Td>{record.seq}</Table.Td>
              <Table.Td>{when(record.at)}</Table.Td>
              <Table.Td>{record.type}</Table.Td>
              <Table.Td>
                <Code>{record.subject.slice(0, 12)}</Code>
              </Table.Td>
              <Table.Td>
                <Code>{summary(record.data)}</Code>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Stack>
  );
}

function summary(data: Record<string, unknown>): string {
  const keys = ['result', 'reasonCode', 'status', 'decidedBy', 'reason', 'model', 'actualUsd', 'rule'];
  return keys
    .filter((key) => data[key] !== undefined && data[key] !== null)
    .map((key) => `${key}=${typeof data[key] === 'string' ? data[key] : JSON.stringify(data[key])}`)
    .join(' ');
}

export function PolicyPage({ refreshMs, onUnauthenticated }: PageProps) {
  const { data, error } = usePoll<PolicyView>('policy', Math.max(refreshMs, 10_000), onUnauthenticated);
  if (!data) return error ? <Failure error={error} /> : <Loader />;
  if (!data.known)
    return <Text>The console was started without a policy (genops console --policy &lt;file&gt; shows it).</Text>;
  return (
    <Stack>
      <Group data-testid="policy-version">
        <Text>
          Version <Code>{data.version}</Code>
        </Text>
        <Badge>{data.mode}</Badge>
        {data.source ? <Text c="dimmed">from {data.source}</Text> : null}
      </Group>
      {data.approvals ? (
        <Text size="sm">
          Approval over {data.approvals.overUsd === null ? '(no cost threshold)' : usd(data.approvals.overUsd)}, waits{' '}
          {data.approvals.timeoutMs / 1000}s, then {data.approvals.onTimeout}
        </Text>
      ) : null}
      <Title order={4}>Budgets</Title>
      <Table data-testid="policy-budgets">
        <Table.Tbody>
          {data.budgets.map((budget) => (
            <Table.Tr key={budget.name}>
              <Table.Td>{budget.name}</Table.Td>
              <Table.Td>{amount(budget.limit, budget.unit)}</Table.Td>
              <Table.Td>{budget.window}</Table.Td>
              <Table.Td>{budget.per.length ? `per ${budget.per.join(', ')}` : 'shared'}</Table.Td>
              <Table.Td>{budget.action}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      <Title order={4}>Rules</Title>
      <Table data-testid="policy-rules">
        <Table.Tbody>
          {data.rules.map((rule) => (
            <Table.Tr key={rule.name}>
              <Table.Td>{rule.name}</Table.Td>
              <Table.Td>{rule.type}</Table.Td>
              <Table.Td>{rule.mode}</Table.Td>
              <Table.Td>
                <Code block>{JSON.stringify(rule.definition)}</Code>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Stack>
  );
}
