// The gateway image's Dockerfile, parsed (dockerfile-ast, the parser of the VS Code Docker language
// server): the invariants a reviewer would check by eye. No image is built here (no Docker engine).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Copy, DockerfileParser, type Instruction } from 'dockerfile-ast';
import { describe, expect, it } from 'vitest';
import { deployDir, repoRoot } from './paths';

const text = readFileSync(join(deployDir, 'Dockerfile'), 'utf8');
const dockerfile = DockerfileParser.parse(text);
const instructions = dockerfile.getInstructions();

/** The instructions of the stage that starts at FROM number `index` (the last stage is the image). */
function stage(index: number): Instruction[] {
  const froms = dockerfile.getFROMs();
  const start = froms[index]!.getRange().start.line;
  const end = index + 1 < froms.length ? froms[index + 1]!.getRange().start.line : Number.POSITIVE_INFINITY;
  return instructions.filter((instruction) => {
    const line = instruction.getRange().start.line;
    return line >= start && line < end;
  });
}
const finalStage = stage(dockerfile.getFROMs().length - 1);
const buildStage = stage(0);
const ofKind = (list: Instruction[], keyword: string) => list.filter((i) => i.getKeyword() === keyword);
/** `CMD ["a", "b"]` → ['a', 'b'] (exec form only: a shell form would not get SIGTERM). */
function execForm(instruction: Instruction): string[] {
  const content = instruction.getArgumentsContent() ?? '';
  const parsed: unknown = JSON.parse(content);
  expect(Array.isArray(parsed), `${instruction.getKeyword()} in exec form (a JSON array)`).toBe(true);
  return parsed as string[];
}
/** The base image of every FROM, with build ARGs resolved. */
function baseImages(): string[] {
  return dockerfile.getFROMs().map((from) => {
    const raw = from.getImageName() === null ? '' : (from.getArgumentsContent() ?? '').split(/\s+/)[0]!;
    return raw.replace(/\$\{?(\w+)\}?/g, (_all, name: string) => {
      const value = dockerfile.resolveVariable(name, from.getRange().start.line);
      if (typeof value !== 'string') throw new Error(`FROM uses \${${name}}, which has no default value`);
      return value;
    });
  });
}

describe('deploy/Dockerfile', () => {
  it('parses without problems and has a build stage and a runtime stage', () => {
    expect(dockerfile.getFROMs().map((from) => from.getBuildStage())).toEqual(['build', 'runtime']);
  });

  it('pins its base image to an exact Node 24 release of the project (never latest)', () => {
    const images = baseImages();
    const packageJson = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8'));
    for (const image of images) {
      expect(image).toMatch(/^node:24\.\d+\.\d+-[a-z]+-slim(@sha256:[0-9a-f]{64})?$/);
    }
    expect(packageJson.engines.node).toBe('>=24.0.0');
    expect(readFileSync(join(repoRoot, '.nvmrc'), 'utf8').trim()).toBe('24');
  });

  it('installs the pnpm version the repository pins, from the lockfile', () => {
    const packageJson = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8'));
    const runs = ofKind(buildStage, 'RUN').map((run) => run.getArgumentsContent() ?? '');
    expect(runs.some((run) => run.includes(`npm install -g`) && run.includes(packageJson.packageManager))).toBe(true);
    expect(runs.some((run) => /pnpm install --frozen-lockfile\b/.test(run))).toBe(true);
    // The deployed folder holds @genops/cli (which brings @genops/gateway) and production dependencies only.
    expect(runs.some((run) => /pnpm --filter=@genops\/cli deploy --prod\b.* \/out$/.test(run))).toBe(true);
  });

  it('runs as a numeric non-root user in the final image', () => {
    const users = ofKind(finalStage, 'USER');
    expect(users.length).toBeGreaterThan(0);
    const user = users.at(-1)!.getArgumentsContent()!;
    const [uid] = user.split(':');
    expect(uid).toMatch(/^\d+$/); // a number, so that Kubernetes runAsNonRoot can check it
    expect(Number(uid)).toBeGreaterThan(0);
    // USER comes after the last COPY and RUN: nothing later runs as root.
    const userLine = users.at(-1)!.getRange().start.line;
    for (const instruction of [...ofKind(finalStage, 'COPY'), ...ofKind(finalStage, 'RUN')]) {
      expect(instruction.getRange().start.line).toBeLessThan(userLine);
    }
  });

  it('copies only the deployed folder into the final image, owned by root (read-only to the gateway user)', () => {
    const copies = ofKind(finalStage, 'COPY') as Copy[];
    expect(copies).toHaveLength(1);
    const flags = Object.fromEntries(copies[0]!.getFlags().map((flag) => [flag.getName(), flag.getValue()]));
    expect(flags).toEqual({ from: 'build', chown: 'root:root' });
    expect(copies[0]!.getArguments().map((argument) => argument.getValue())).toEqual(['/out', '/app']);
  });

  it('checks health on /healthz with nothing but Node', () => {
    const [healthcheck] = ofKind(finalStage, 'HEALTHCHECK');
    expect(healthcheck).toBeDefined();
    const content = healthcheck!.getArgumentsContent()!;
    expect(content).toMatch(/CMD \["node", "-e", ".*fetch\('http:\/\/127\.0\.0\.1:4000\/healthz'\)/);
    expect(ofKind(finalStage, 'EXPOSE').map((expose) => expose.getArgumentsContent())).toEqual(['4000']);
  });

  it('starts `genops gateway` on every interface of the container, port 4000, in exec form', () => {
    const cliPackage = JSON.parse(readFileSync(join(repoRoot, 'packages/cli/package.json'), 'utf8'));
    const [entrypoint] = ofKind(finalStage, 'ENTRYPOINT');
    const [cmd] = ofKind(finalStage, 'CMD');
    // The binary the CLI package declares, from the deployed folder (/app = the @genops/cli package).
    expect(execForm(entrypoint!)).toEqual(['node', join('/app', cliPackage.bin.genops)]);
    expect(execForm(cmd!)).toEqual(['gateway', '--host', '0.0.0.0', '--port', '4000']);
  });

  it('keeps local state, modules and secrets out of the build context', () => {
    const ignored = readFileSync(join(deployDir, 'Dockerfile.dockerignore'), 'utf8').split('\n');
    for (const pattern of ['**/node_modules', '**/dist', '**/.genops', '**/.env', '.git']) {
      expect(ignored).toContain(pattern);
    }
  });
});
