// What every script here shares: the network guard (loaded by this module before the SDK, so a script that imports
// this module first is guarded from its first line), the SDK pointed at the emulator alone, the step protocol (one
// JSON line per step, {"step":...,"ok":true,...}; the first failure prints {"ok":false,...}, a message on stderr, and
// exits 1) and the closing check that nothing beyond 127.0.0.0/8 was contacted. Tokens and the SDK's raw errors
// (axios errors carry the Authorization header) are never printed.
import { networkReport, isLoopbackV4 } from './network-guard.mjs';

import { baseRequest, setToken } from '@linode/api-v4';

export { isLoopbackV4 };

export class StepFailure extends Error {}

let currentStep = 'arguments';

export function emit(step, details = {}) {
    process.stdout.write(JSON.stringify({ step, ok: true, ...details }) + '\n');
}

export function fail(message) {
    throw new StepFailure(message);
}

export function check(condition, message) {
    if (!condition) {
        fail(message);
    }
}

/** Runs one named step; what its body returns is printed on the step's line and handed back. */
export async function step(name, body) {
    currentStep = name;
    const details = (await body()) ?? {};
    emit(name, details);
    return details;
}

/**
 * What the SDK rejected with, as the API's error array: the SDK's own schema validation rejects with an array of
 * {reason, field}; an HTTP error comes back as an axios error whose response body is {"errors": [...]}.
 */
export function apiErrorsOf(error) {
    if (Array.isArray(error)) {
        return { source: 'sdk-validation', status: null, errors: error };
    }
    if (error && error.response) {
        const data = error.response.data;
        const errors = data && Array.isArray(data.errors) ? data.errors : null;
        return { source: 'api', status: error.response.status, errors };
    }
    const message = String(error && error.message ? error.message : error);
    return { source: 'transport', status: null, errors: null, message };
}

export function describe(error) {
    const e = apiErrorsOf(error);
    return e.source === 'transport'
        ? `transport error: ${e.message}`
        : `${e.source} ${e.status ?? ''} ${JSON.stringify(e.errors)}`;
}

/** Runs an SDK call that must succeed, failing the step with the API's errors (not the raw axios error, which
 * carries the request's Authorization header) when it does not. */
export async function call(what, promise) {
    try {
        return await promise;
    } catch (error) {
        fail(`${what} failed: ${describe(error)}`);
    }
}

/** Runs an SDK call that must fail with an HTTP error, and returns that error as {status, errors}. */
export async function callExpectingError(what, promise) {
    let result;
    try {
        result = await promise;
    } catch (error) {
        const e = apiErrorsOf(error);
        check(e.source === 'api', `${what}: expected an error from the API, got ${describe(error)}`);
        check(Array.isArray(e.errors) && e.errors.length > 0,
            `${what}: expected {"errors":[...]} in the ${e.status} body`);
        for (const item of e.errors) {
            check(typeof item.reason === 'string' && item.reason.length > 0,
                `${what}: every error needs a reason, got ${JSON.stringify(item)}`);
        }
        return e;
    }
    fail(`${what}: expected an error, got ${JSON.stringify(result).slice(0, 300)}`);
}

/**
 * Reads `node <script> <api root> <token>...`: the API root must be http on a 127.0.0.0/8 address and end in /v4.
 * Returns the root without a trailing slash and the tokens, in the order tokenNames names them.
 */
export function parseArguments(script, tokenNames) {
    const [apiRootArgument, ...tokens] = process.argv.slice(2);
    if (!apiRootArgument || tokens.length < tokenNames.length || tokens.slice(0, tokenNames.length).some((t) => !t)) {
        fail(`usage: node ${script} <api root, e.g. http://127.0.0.1:8081/v4> ${tokenNames.map((n) => `<${n}>`).join(' ')}`);
    }
    let url;
    try {
        url = new URL(apiRootArgument);
    } catch {
        fail(`'${apiRootArgument}' is not a URL`);
    }
    check(url.protocol === 'http:' && isLoopbackV4(url.hostname),
        `the API root must be http on a 127.0.0.0/8 address, not '${apiRootArgument}'`);
    check(/\/v4\/?$/.test(url.pathname), `the API root must end in /v4, not '${apiRootArgument}'`);
    return { apiRoot: apiRootArgument.replace(/\/+$/, ''), tokens: tokens.slice(0, tokenNames.length) };
}

/**
 * Points the SDK at the emulator, and returns the SDK's own root. Every SDK function builds an absolute URL from its
 * constant "https://api.linode.com/v4" (or ".../v4beta"), so axios ignores baseRequest.defaults.baseURL for them; the
 * way the SDK's own consumer (Cloud Manager) moves it to another API root is a request interceptor on baseRequest
 * that swaps that prefix, which is what this does. The original root is read from baseRequest.defaults.
 */
export function pointSdkAt(apiRoot) {
    const sdkRoot = baseRequest.defaults.baseURL;
    check(typeof sdkRoot === 'string' && sdkRoot.endsWith('/v4'), `unexpected SDK baseURL ${sdkRoot}`);
    baseRequest.defaults.baseURL = apiRoot;
    // No proxy from the environment and no redirects: the emulator is the only host the SDK may talk to.
    baseRequest.defaults.proxy = false;
    baseRequest.defaults.maxRedirects = 0;
    baseRequest.defaults.timeout = 30_000;

    // Axios runs request interceptors last-registered first, so this one, registered before the rewrite, sees the
    // final URL and refuses anything that is not the emulator.
    baseRequest.interceptors.request.use((config) => {
        const target = new URL(config.url, config.baseURL);
        if (target.origin !== new URL(apiRoot).origin) {
            throw new Error(`refusing an SDK request to ${target.origin}: only the emulator may be called`);
        }
        return config;
    });
    baseRequest.interceptors.request.use((config) => {
        if (typeof config.url === 'string' && config.url.startsWith(sdkRoot)) {
            return { ...config, url: apiRoot + config.url.slice(sdkRoot.length) };
        }
        return config;
    });
    return sdkRoot;
}

let tokenInterceptor;

/** Makes the SDK send token from now on. setToken adds an interceptor, and the first one registered runs last and
 * wins, so the one before is taken out. */
export function useToken(token) {
    if (tokenInterceptor !== undefined) {
        baseRequest.interceptors.request.eject(tokenInterceptor);
    }
    tokenInterceptor = setToken(token);
}

/** Fails unless every destination the guard let through, and every one it saw, is in 127.0.0.0/8; returns what it
 * saw for further checks. */
export function checkedNetworkReport() {
    const report = networkReport();
    check(report.refused.length === 0, `something tried to reach beyond 127.0.0.0/8: ${report.refused.join('; ')}`);
    const outside = report.contacted.filter((d) => !isLoopbackV4(d.split(':')[0]));
    check(outside.length === 0, `contacted outside 127.0.0.0/8: ${outside.join(', ')}`);
    return report;
}

/** Runs main under a whole-run watchdog, prints the closing "done" line, and exits 0, or 1 on the first failure
 * (naming name and the step on stderr). */
export function runScript(name, wholeRunTimeoutMs, main) {
    const watchdog = setTimeout(() => {
        process.stderr.write(
            `${name}: step '${currentStep}' still running after ${wholeRunTimeoutMs / 1000} s; giving up\n`);
        process.stdout.write(JSON.stringify({ step: currentStep, ok: false, error: 'whole-run timeout' }) + '\n');
        process.exit(1);
    }, wholeRunTimeoutMs);
    watchdog.unref();

    main().then(
        () => {
            currentStep = 'done';
            emit('done');
            process.exit(0);
        },
        (error) => {
            const message = error instanceof StepFailure
                ? error.message
                : `unexpected ${error && error.stack ? error.stack : describe(error)}`;
            process.stdout.write(JSON.stringify({ step: currentStep, ok: false, error: message }) + '\n');
            process.stderr.write(`${name}: step '${currentStep}' failed: ${message}\n`);
            process.exit(1);
        },
    );
}
