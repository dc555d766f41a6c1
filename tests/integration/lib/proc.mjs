// Child processes for the integration tests: every one runs with a timeout
// and its outcome is summarized in one value (status, signal, output, whether
// it timed out, whether a sanitizer reported).
import { spawnSync } from 'node:child_process'
import path from 'node:path'
import fs from 'node:fs'
import { fileURLToPath } from 'node:url'

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..')
export const FLOE = path.resolve(ROOT, process.env.FLOE || 'build/release/floe')
export const SHARED = path.resolve(ROOT, process.env.FLOE_SHARED || '../shared')

// run(cmd, args, {timeout (s), input, cwd, env, stdout: 'pipe'|'ignore'})
//   -> {status, signal, stdout, stderr, timedOut, sanitizer, error}
export function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, {
    cwd: opts.cwd || ROOT,
    input: opts.input,
    stdio: ['pipe', opts.stdout || 'pipe', 'pipe'],
    timeout: (opts.timeout || 60) * 1000,
    killSignal: 'SIGKILL',
    maxBuffer: 1 << 30,
    encoding: opts.encoding === undefined ? 'utf8' : opts.encoding,
    env: { ...process.env, ...(opts.env || {}) },
  })
  const stderr = r.stderr == null ? '' : String(r.stderr)
  return {
    status: r.status,
    signal: r.signal,
    stdout: r.stdout == null ? '' : r.stdout,
    stderr,
    timedOut: r.error?.code === 'ETIMEDOUT' || (r.signal === 'SIGKILL' && r.status === null),
    sanitizer: /ERROR: (AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer)|runtime error: /.test(stderr),
    error: r.error && r.error.code !== 'ETIMEDOUT' ? r.error : null,
  }
}

export function floe(args, opts = {}) {
  return run(FLOE, args, opts)
}

// One line describing how a process ended badly, or null when it exited 0
// cleanly.
export function describeFailure(r) {
  if (r.error) return `could not run: ${r.error.message}`
  if (r.timedOut) return 'timed out'
  if (r.signal) return `killed by ${r.signal}`
  if (r.sanitizer) return `sanitizer report: ${firstLine(r.stderr, /ERROR:|runtime error:/)}`
  if (r.status !== 0) return `exit ${r.status}: ${r.stderr.trim().split('\n').slice(-3).join(' | ').slice(0, 400)}`
  return null
}

function firstLine(text, re) {
  return (text.split('\n').find(l => re.test(l)) || '').trim().slice(0, 300)
}

export function haveFloe() {
  try { fs.accessSync(FLOE, fs.constants.X_OK); return true } catch { return false }
}
