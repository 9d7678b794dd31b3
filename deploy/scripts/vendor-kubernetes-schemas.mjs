#!/usr/bin/env node
// Writes deploy/test/kubernetes-schemas/v1.32.json: the Kubernetes API object schemas the manifests in
// deploy/kubernetes use, cut from the Kubernetes OpenAPI (v2) document, so that the test validates the
// rendered manifests offline.
//
// Source (Kubernetes release-1.32, as the official Python client v32.0.0 vendors it):
//   https://github.com/kubernetes-client/python/blob/v32.0.0/kubernetes/swagger.json.unprocessed
// Usage:
//   node deploy/scripts/vendor-kubernetes-schemas.mjs path/to/swagger.json.unprocessed && pnpm exec biome format --write deploy/test
//
// What it changes, as kubeconform's "strict" schemas do:
// - keeps only the definitions reachable from the kinds below, without their descriptions (size);
// - `additionalProperties: false` on every object with declared properties, so a misspelt field fails
//   (the API server drops unknown fields, with a warning at best);
// - IntOrString accepts an integer or a string, and Quantity a number or a string, as the API server does.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SOURCE = 'https://github.com/kubernetes-client/python/blob/v32.0.0/kubernetes/swagger.json.unprocessed';
const ROOTS = [
  'io.k8s.api.core.v1.Namespace',
  'io.k8s.api.core.v1.ServiceAccount',
  'io.k8s.api.core.v1.Secret',
  'io.k8s.api.core.v1.ConfigMap',
  'io.k8s.api.core.v1.Service',
  'io.k8s.api.apps.v1.Deployment',
  'io.k8s.api.apps.v1.StatefulSet',
  'io.k8s.api.autoscaling.v2.HorizontalPodAutoscaler',
  'io.k8s.api.policy.v1.PodDisruptionBudget',
  'io.k8s.api.networking.v1.NetworkPolicy',
  'io.k8s.api.networking.v1.Ingress',
];

const input = process.argv[2];
if (!input) {
  console.error('usage: node deploy/scripts/vendor-kubernetes-schemas.mjs <swagger.json>');
  process.exit(2);
}
const { definitions } = JSON.parse(readFileSync(input, 'utf8'));

const picked = new Map();
const visit = (name) => {
  if (picked.has(name)) return;
  const definition = definitions[name];
  if (!definition) throw new Error(`no definition ${name} in ${input}`);
  picked.set(name, definition);
  for (const match of JSON.stringify(definition).matchAll(/"\$ref":"#\/definitions\/([^"]+)"/g)) visit(match[1]);
};
for (const root of ROOTS) visit(root);

const strip = (schema) => {
  if (Array.isArray(schema)) return schema.map(strip);
  if (schema === null || typeof schema !== 'object') return schema;
  const out = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'description') continue;
    out[key] =
      key === 'properties' ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, strip(v)])) : strip(value);
  }
  // A $ref with siblings: JSON Schema ignores the siblings, keep the reference alone.
  if (out.$ref) return { $ref: out.$ref };
  if (out.properties && out.additionalProperties === undefined) out.additionalProperties = false;
  return out;
};

const result = {};
for (const name of [...picked.keys()].sort()) result[name] = strip(picked.get(name));
result['io.k8s.apimachinery.pkg.util.intstr.IntOrString'] = { oneOf: [{ type: 'string' }, { type: 'integer' }] };
result['io.k8s.apimachinery.pkg.api.resource.Quantity'] = { oneOf: [{ type: 'string' }, { type: 'number' }] };

const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'test', 'kubernetes-schemas', 'v1.32.json');
writeFileSync(
  out,
  `${JSON.stringify({ source: SOURCE, license: 'Apache-2.0 (The Kubernetes Authors)', roots: ROOTS, definitions: result }, null, 1)}\n`,
);
console.log(`${picked.size} definitions -> ${out}`);
