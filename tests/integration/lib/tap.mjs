// The integration tests' report: one `ok - name` / `not ok - name: reason`
// line per check and, at the end, the closing `N passed, N failed` line the
// test runner adds up.  The process exits 1 when anything failed.
let passed = 0
let failed = 0

export function ok(name) {
  passed++
  console.log(`ok - ${name}`)
}

export function notOk(name, reason) {
  failed++
  console.log(`not ok - ${name}: ${String(reason).replace(/\n/g, '\n    ')}`)
}

export function check(name, reason) {
  if (reason) notOk(name, reason)
  else ok(name)
}

export function note(text) {
  console.log(`# ${text}`)
}

export function finish() {
  console.log(`${passed} passed, ${failed} failed`)
  process.exitCode = failed ? 1 : 0
}
