import { describe, expect, it } from 'vitest';
import { DEFAULT_VERIFY_PATTERNS } from '../../../src/config/defaults.js';

const patterns = DEFAULT_VERIFY_PATTERNS.map((p) => new RegExp(p));
const isVerification = (command: string): boolean => patterns.some((p) => p.test(command));

describe('default verification patterns', () => {
  it.each([
    'npm test',
    'npm run lint',
    'pnpm typecheck',
    'yarn build',
    'bun test',
    'npx vitest run test/unit',
    'npx tsc --noEmit -p .',
    'npx eslint src',
    'npx playwright test',
    'deno test -A',
    'pytest -q tests/',
    'python -m pytest',
    'python3 -m unittest discover',
    'uv run mypy src',
    'ruff check .',
    'go test ./...',
    'go vet ./...',
    'golangci-lint run',
    'cargo test --workspace',
    'cargo clippy -- -D warnings',
    './gradlew test',
    'mvn -q verify',
    'dotnet test',
    'swift build',
    'mix test',
    'bundle exec rspec',
    'vendor/bin/phpunit',
    'make check',
    'cd build && ctest --output-on-failure',
    'bazel test //...',
  ])('matches %j', (command) => {
    expect(isVerification(command)).toBe(true);
  });

  it.each([
    'git status',
    'ls test/',
    'cat package.json',
    'npm install',
    'pip install pytest-cov==1',
    'go mod tidy',
    'cargo add serde',
    'mkdir build',
    'echo testing',
  ])('does not match %j', (command) => {
    expect(isVerification(command)).toBe(false);
  });
});
