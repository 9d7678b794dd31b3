// The Kubernetes manifests, checked offline: rendered by `kubectl kustomize` (the kubectl client of the
// machine; no cluster), every object validated against the Kubernetes 1.32 API schemas vendored in
// kubernetes-schemas/ (strict: a misspelt field fails), then the invariants of a safe deployment.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parsePolicy } from '@genops/core';
import { Ajv, type ValidateFunction } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { deployDir } from './paths';

const manifestsDir = join(deployDir, 'kubernetes');

interface KubernetesObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: any;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}

function parseYaml(text: string, where: string): KubernetesObject[] {
  return parseAllDocuments(text).map((document) => {
    if (document.errors.length > 0) throw new Error(`${where}: ${document.errors[0]!.message}`);
    return document.toJS() as KubernetesObject;
  });
}

/** `kubectl kustomize deploy/kubernetes`, parsed. Fails (never skips) without kubectl. */
function render(): KubernetesObject[] {
  const result = spawnSync('kubectl', ['kustomize', manifestsDir], { encoding: 'utf8', timeout: 60_000 });
  if (result.error && (result.error as NodeJS.ErrnoException).code === 'ENOENT') {
    throw new Error(
      'kubectl is not on PATH: this test renders deploy/kubernetes with `kubectl kustomize` (install the kubectl client; no cluster is needed)',
    );
  }
  if (result.status !== 0) throw new Error(`kubectl kustomize failed: ${result.stderr}`);
  return parseYaml(result.stdout, 'kubectl kustomize output');
}

const schemaFile = JSON.parse(readFileSync(join(deployDir, 'test/kubernetes-schemas/v1.32.json'), 'utf8'));
const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
ajv.addSchema({ $id: 'k8s', definitions: schemaFile.definitions });

/** The validator of an apiVersion + kind, from the definitions' x-kubernetes-group-version-kind. */
function validatorFor(apiVersion: string, kind: string): ValidateFunction {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  for (const [name, definition] of Object.entries<{ 'x-kubernetes-group-version-kind'?: unknown[] }>(
    schemaFile.definitions,
  )) {
    const kinds = (definition['x-kubernetes-group-version-kind'] ?? []) as {
      group: string;
      version: string;
      kind: string;
    }[];
    if (kinds.some((gvk) => gvk.group === group && gvk.version === version && gvk.kind === kind)) {
      return ajv.getSchema(`k8s#/definitions/${name}`)!;
    }
  }
  throw new Error(`no schema for ${apiVersion} ${kind} in kubernetes-schemas/v1.32.json (add it to the vendor script)`);
}

/** Schema problems of an object, as `Kind/name /path: message` lines. */
function problems(object: KubernetesObject): string[] {
  const validate = validatorFor(object.apiVersion, object.kind);
  if (validate(object as unknown)) return [];
  return (validate.errors ?? []).map((error) => {
    const detail = error.keyword === 'additionalProperties' ? ` (${error.params.additionalProperty})` : '';
    return `${object.kind}/${object.metadata?.name} ${error.instancePath || '/'}: ${error.message}${detail}`;
  });
}

const objects = render();
const one = (kind: string, name: string): KubernetesObject => {
  const found = objects.find((object) => object.kind === kind && object.metadata.name === name);
  if (!found) throw new Error(`no ${kind}/${name} in the rendered manifests`);
  return found;
};
const examples = {
  secret: parseYaml(readFileSync(join(manifestsDir, 'secret.example.yaml'), 'utf8'), 'secret.example.yaml')[0]!,
  ingress: parseYaml(readFileSync(join(manifestsDir, 'ingress.example.yaml'), 'utf8'), 'ingress.example.yaml')[0]!,
};

const gateway = one('Deployment', 'genops-gateway');
const pod = gateway.spec.template.spec;
const container = pod.containers.find((c: { name: string }) => c.name === 'gateway');
const envOf = (name: string) => container.env.find((variable: { name: string }) => variable.name === name);
const policyConfigMap = one('ConfigMap', 'genops-policy');

describe('deploy/kubernetes', () => {
  it('renders every object the gateway needs, in one namespace', () => {
    expect(objects.map((object) => `${object.kind}/${object.metadata.name}`).sort()).toEqual([
      'ConfigMap/genops-policy',
      'Deployment/genops-gateway',
      'HorizontalPodAutoscaler/genops-gateway',
      'Namespace/genops',
      'NetworkPolicy/genops-redis',
      'PodDisruptionBudget/genops-gateway',
      'Service/genops-gateway',
      'Service/genops-redis',
      'ServiceAccount/genops-gateway',
      'StatefulSet/genops-redis',
    ]);
    for (const object of objects.filter((o) => o.kind !== 'Namespace'))
      expect(object.metadata.namespace).toBe('genops');
  });

  it('validates every rendered object against the Kubernetes 1.32 schemas', () => {
    expect(objects.flatMap(problems)).toEqual([]);
  });

  it('validates the example Secret and Ingress too', () => {
    expect([...problems(examples.secret), ...problems(examples.ingress)]).toEqual([]);
  });

  it('catches a misspelt field, a wrong type and a missing required field (the validator can fail)', () => {
    const misspelt = structuredClone(gateway);
    misspelt.spec.replica = 3;
    const wrongType = structuredClone(gateway);
    wrongType.spec.template.spec.containers[0].ports[0].containerPort = 'http';
    const missing = structuredClone(gateway);
    delete missing.spec.template.spec.containers[0].name;
    expect(problems(misspelt)).toEqual([
      'Deployment/genops-gateway /spec: must NOT have additional properties (replica)',
    ]);
    expect(problems(wrongType)).toContain(
      'Deployment/genops-gateway /spec/template/spec/containers/0/ports/0/containerPort: must be integer',
    );
    expect(problems(missing)).toContain(
      "Deployment/genops-gateway /spec/template/spec/containers/0: must have required property 'name'",
    );
  });

  it('runs several gateway replicas, scaled by the HPA and protected by the PDB', () => {
    const hpa = one('HorizontalPodAutoscaler', 'genops-gateway');
    const pdb = one('PodDisruptionBudget', 'genops-gateway');
    expect(gateway.spec.replicas).toBeGreaterThanOrEqual(2);
    expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'genops-gateway' });
    expect(hpa.spec.minReplicas).toBe(gateway.spec.replicas);
    expect(hpa.spec.maxReplicas).toBeGreaterThan(hpa.spec.minReplicas);
    expect(pdb.spec.minAvailable).toBeLessThan(hpa.spec.minReplicas); // a drain can always proceed
    expect(gateway.spec.strategy.rollingUpdate.maxUnavailable).toBe(0);
    // Selectors select the pods they are meant for.
    const podLabels = gateway.spec.template.metadata.labels;
    for (const selector of [gateway.spec.selector.matchLabels, pdb.spec.selector.matchLabels]) {
      expect(podLabels).toMatchObject(selector);
    }
    expect(podLabels).toMatchObject(one('Service', 'genops-gateway').spec.selector);
  });

  it('probes liveness on /healthz and readiness on /readyz, on the port the gateway listens on', () => {
    expect(container.args).toEqual(['gateway', '--host', '0.0.0.0', '--port', '4000']);
    expect(container.ports).toEqual([{ name: 'http', containerPort: 4000 }]);
    expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(container.startupProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
    expect(one('Service', 'genops-gateway').spec.ports).toEqual([{ name: 'http', port: 4000, targetPort: 'http' }]);
  });

  it('gives a terminating gateway longer than its drain (preStop pause + gateway.drainTimeoutMs)', () => {
    const policy = parsePolicy(policyConfigMap.data!['genops.policy.yaml']!, { file: 'genops.policy.yaml' });
    const drainMs = (policy as { gateway?: { drainTimeoutMs?: number } }).gateway?.drainTimeoutMs;
    expect(drainMs).toBe(30_000);
    const [command, seconds] = container.lifecycle.preStop.exec.command;
    expect(command).toBe('sleep');
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(Number(seconds) + drainMs! / 1000);
  });

  it('runs both workloads as non-root, read-only, with no privileges and no API token', () => {
    const redis = one('StatefulSet', 'genops-redis').spec.template.spec;
    for (const spec of [pod, redis]) {
      expect(spec.automountServiceAccountToken).toBe(false);
      expect(spec.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
      expect(spec.securityContext.runAsUser).toBeGreaterThan(0);
      for (const c of spec.containers) {
        expect(c.securityContext).toEqual({
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ['ALL'] },
        });
        expect(c.resources.requests).toHaveProperty('cpu');
        expect(c.resources.requests).toHaveProperty('memory');
        expect(c.resources.limits).toHaveProperty('memory');
      }
    }
    // The image's USER (deploy/Dockerfile) is the pod's runAsUser.
    expect(readFileSync(join(deployDir, 'Dockerfile'), 'utf8')).toContain(`USER ${pod.securityContext.runAsUser}:`);
  });

  it('mounts the policy ConfigMap as a directory (hot reload) and points GENOPS_POLICY into it', () => {
    const mount = container.volumeMounts.find((m: { name: string }) => m.name === 'policy');
    const volume = pod.volumes.find((v: { name: string }) => v.name === 'policy');
    expect(volume.configMap.name).toBe('genops-policy');
    expect(mount.subPath).toBeUndefined(); // a subPath mount never sees ConfigMap updates
    const file = Object.keys(policyConfigMap.data!)[0]!;
    expect(envOf('GENOPS_POLICY').value).toBe(`${mount.mountPath}/${file}`);
  });

  it('ships a policy that GenOps accepts (rules, budgets, approvals and the gateway section)', () => {
    const policy = parsePolicy(policyConfigMap.data!['genops.policy.yaml']!, { file: 'genops.policy.yaml' });
    expect(policy.budgets?.map((budget) => budget.name)).toEqual(['team-daily', 'org-monthly']);
    const gatewaySection = (policy as { gateway?: { virtualKeys?: { keyHash?: string; key?: string }[] } }).gateway;
    // Only key hashes in a ConfigMap: never a key.
    expect(gatewaySection?.virtualKeys?.every((key) => key.keyHash && key.key === undefined)).toBe(true);
  });

  it('stores state in the Redis of the manifests, which keeps every key (AOF, noeviction)', () => {
    expect(envOf('GENOPS_STORE').value).toBe('redis://:$(REDIS_PASSWORD)@genops-redis:6379/0');
    // $(VAR) is only expanded from variables defined before it.
    const names = container.env.map((variable: { name: string }) => variable.name);
    expect(names.indexOf('REDIS_PASSWORD')).toBeLessThan(names.indexOf('GENOPS_STORE'));
    const redis = one('StatefulSet', 'genops-redis');
    const args: string[] = redis.spec.template.spec.containers[0].args;
    const flag = (name: string) => args[args.indexOf(name) + 1];
    expect(flag('--appendonly')).toBe('yes');
    expect(flag('--maxmemory-policy')).toBe('noeviction');
    expect(flag('--requirepass')).toBe('$(REDIS_PASSWORD)');
    expect(redis.spec.volumeClaimTemplates[0].metadata.name).toBe('data');
    // Only pods labelled as store clients reach Redis, and the gateway pods are.
    const policy = one('NetworkPolicy', 'genops-redis');
    const allowed = policy.spec.ingress[0].from[0].podSelector.matchLabels;
    expect(gateway.spec.template.metadata.labels).toMatchObject(allowed);
  });

  it('takes every secret it reads from the genops-gateway Secret, whose example has each key', () => {
    const references: string[] = [];
    JSON.stringify(objects, (key, value) => {
      if (key === 'secretKeyRef') references.push(`${value.name}:${value.key}`);
      return value;
    });
    expect(new Set(references)).toEqual(
      new Set(Object.keys(examples.secret.stringData!).map((key) => `${examples.secret.metadata.name}:${key}`)),
    );
    // No secret value written in a rendered object.
    expect(objects.filter((object) => object.kind === 'Secret')).toEqual([]);
  });

  it('routes the example Ingress to the gateway Service with TLS', () => {
    const { spec } = examples.ingress;
    expect(spec.tls[0].hosts).toEqual([spec.rules[0].host]);
    expect(spec.rules[0].http.paths[0].backend.service).toEqual({ name: 'genops-gateway', port: { name: 'http' } });
  });
});
