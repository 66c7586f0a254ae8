// Linode's own JavaScript SDK (@linode/api-v4) against the emulator, for what real tools read besides our
// autoscaler: an instance's disks and configs (Terraform's linode_instance reads both), the profile, grants and users
// (linode-cli's configure), a NodeBalancer's stats and VPCs, and what a token limited to linodes:read_only may do.
//
//   node scopes-and-disks.mjs <api root, e.g. http://127.0.0.1:PORT/v4> <full token> <linodes:read_only token>
//
// Prints one JSON line per step ({"step":...,"ok":true,...}); on the first failure prints {"ok":false,...} and a
// message on stderr, and exits 1. Tokens and the root password are never printed.
import { networkReport, isLoopbackV4 } from './network-guard.mjs';

import {
    baseRequest,
    createLinode,
    createNodeBalancer,
    deleteLinode,
    deleteNodeBalancer,
    getMyGrants,
    getLinodeConfig,
    getLinodeConfigs,
    getLinodeDisk,
    getLinodeDisks,
    getLinodes,
    getNodeBalancers,
    getNodeBalancerStats,
    getNodeBalancerVPCConfigsBeta,
    getProfile,
    getUsers,
    setToken,
} from '@linode/api-v4';

const WHOLE_RUN_TIMEOUT_MS = 4 * 60_000;
const ROOT_PASS = 'Sdk-Sc3nario!horse-battery-staple';
const NOT_AUTHORIZED = 'Your OAuth token is not authorized to use this endpoint.';

class StepFailure extends Error {}

let currentStep = 'arguments';

function fail(message) {
    throw new StepFailure(message);
}

function check(condition, message) {
    if (!condition) {
        fail(message);
    }
}

async function step(name, body) {
    currentStep = name;
    const details = (await body()) ?? {};
    process.stdout.write(JSON.stringify({ step: name, ok: true, ...details }) + '\n');
    return details;
}

/** The API's answer to a failed call as {status, errors}; never the raw axios error (it carries the token). */
function apiErrorsOf(error) {
    if (Array.isArray(error)) {
        return { status: null, errors: error };
    }
    if (error && error.response) {
        const data = error.response.data;
        return { status: error.response.status, errors: data && Array.isArray(data.errors) ? data.errors : null };
    }
    return { status: null, errors: null, message: String(error && error.message ? error.message : error) };
}

async function call(what, promise) {
    try {
        return await promise;
    } catch (error) {
        fail(`${what} failed: ${JSON.stringify(apiErrorsOf(error))}`);
    }
}

async function callExpectingError(what, promise) {
    try {
        const result = await promise;
        fail(`${what}: expected an error, got ${JSON.stringify(result).slice(0, 300)}`);
    } catch (error) {
        if (error instanceof StepFailure) {
            throw error;
        }
        return apiErrorsOf(error);
    }
}

function parseArguments() {
    const [apiRoot, fullToken, readOnlyToken] = process.argv.slice(2);
    if (!apiRoot || !fullToken || !readOnlyToken) {
        fail('usage: node scopes-and-disks.mjs <api root> <full token> <linodes:read_only token>');
    }
    const url = new URL(apiRoot);
    check(url.protocol === 'http:' && isLoopbackV4(url.hostname) && /\/v4\/?$/.test(url.pathname),
        `the API root must be http://127.x.y.z:port/v4, not '${apiRoot}'`);
    return { apiRoot: apiRoot.replace(/\/+$/, ''), fullToken, readOnlyToken };
}

/** Moves the SDK's absolute https://api.linode.com/v4… URLs to the emulator, and refuses any other origin (as
 * scenario.mjs does). */
function pointSdkAt(apiRoot) {
    const sdkRoot = baseRequest.defaults.baseURL;
    check(typeof sdkRoot === 'string' && sdkRoot.endsWith('/v4'), `unexpected SDK baseURL ${sdkRoot}`);
    baseRequest.defaults.baseURL = apiRoot;
    baseRequest.defaults.proxy = false;
    baseRequest.defaults.maxRedirects = 0;
    baseRequest.defaults.timeout = 30_000;
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
}

async function main() {
    const { apiRoot, fullToken, readOnlyToken } = parseArguments();
    pointSdkAt(apiRoot);
    let tokenInterceptor = setToken(fullToken);
    const useToken = (token) => {
        baseRequest.interceptors.request.eject(tokenInterceptor);
        tokenInterceptor = setToken(token);
    };

    await step('profile', async () => {
        const profile = await call('getProfile', getProfile());
        check(typeof profile.username === 'string' && profile.username.length > 0, `getProfile: ${JSON.stringify(profile)}`);
        check(profile.restricted === false, 'getProfile: the account user is restricted');
        // An unrestricted user has no grants: 204 and no body.
        const grants = await call('getMyGrants', getMyGrants());
        check(grants === '' || grants === undefined || grants === null, `getMyGrants: ${JSON.stringify(grants)}`);
        const users = await call('getUsers', getUsers());
        check(users.data.some((u) => u.username === profile.username), `getUsers: ${JSON.stringify(users.data)}`);
        return { username: profile.username, users: users.results };
    });

    const linode = await step('linode_create', async () => {
        const created = await call('createLinode', createLinode({
            label: 'sdk-disks-1',
            region: 'us-east',
            type: 'g6-standard-1',
            image: 'linode/debian12',
            root_pass: ROOT_PASS,
            booted: false,
        }));
        return { id: created.id, disk: created.specs.disk };
    });

    const disks = await step('disks', async () => {
        const page = await call('getLinodeDisks', getLinodeDisks(linode.id));
        check(page.results === 2, `getLinodeDisks: ${page.results} disks`);
        const boot = page.data.find((d) => d.filesystem === 'ext4');
        const swap = page.data.find((d) => d.filesystem === 'swap');
        check(boot && swap, `getLinodeDisks: no boot and swap disk in ${JSON.stringify(page.data)}`);
        check(boot.size + swap.size === linode.disk, `getLinodeDisks: ${boot.size} + ${swap.size} != ${linode.disk}`);
        const one = await call('getLinodeDisk', getLinodeDisk(linode.id, boot.id));
        check(one.id === boot.id && one.label === boot.label, `getLinodeDisk: ${JSON.stringify(one)}`);
        return { boot: boot.id, swap: swap.id, labels: page.data.map((d) => d.label) };
    });

    await step('configs', async () => {
        const page = await call('getLinodeConfigs', getLinodeConfigs(linode.id));
        check(page.results === 1, `getLinodeConfigs: ${page.results} configs`);
        const config = page.data[0];
        check(config.devices.sda.disk_id === disks.boot && config.devices.sdb.disk_id === disks.swap,
            `getLinodeConfigs: devices ${JSON.stringify(config.devices)}`);
        check(config.root_device === '/dev/sda', `getLinodeConfigs: root_device ${config.root_device}`);
        const one = await call('getLinodeConfig', getLinodeConfig(linode.id, config.id));
        check(one.id === config.id, `getLinodeConfig: ${JSON.stringify(one).slice(0, 300)}`);
        return { id: config.id, label: config.label };
    });

    await step('nodebalancer_extras', async () => {
        const nb = await call('createNodeBalancer', createNodeBalancer({ label: 'sdk-extras-nb', region: 'us-east', configs: [] }));
        const stats = await call('getNodeBalancerStats', getNodeBalancerStats(nb.id));
        check(stats.data && stats.data.traffic && Array.isArray(stats.data.connections),
            `getNodeBalancerStats: ${JSON.stringify(stats).slice(0, 300)}`);
        const vpcs = await call('getNodeBalancerVPCConfigsBeta', getNodeBalancerVPCConfigsBeta(nb.id));
        check(vpcs.results === 0 && vpcs.pages === 1, `getNodeBalancerVPCConfigsBeta: ${JSON.stringify(vpcs)}`);
        await call('deleteNodeBalancer', deleteNodeBalancer(nb.id));
        return { id: nb.id, title: stats.title };
    });

    await step('scope_read_only', async () => {
        useToken(readOnlyToken);
        // How a client learns its token's scopes: every answer names them in X-OAuth-Scopes.
        const response = await baseRequest.get(`${apiRoot}/linode/instances`);
        const scopes = response.headers['x-oauth-scopes'];
        check(scopes === 'linodes:read_only', `X-OAuth-Scopes: ${scopes}`);
        const page = await call('getLinodes with a read-only token', getLinodes());
        check(page.data.some((l) => l.id === linode.id), 'getLinodes with a read-only token: the Linode is missing');

        const create = await callExpectingError('createLinode with a read-only token', createLinode({
            label: 'sdk-denied-1', region: 'us-east', type: 'g6-nanode-1', booted: false,
        }));
        check(create.status === 401 && create.errors?.length === 1 && create.errors[0].reason === NOT_AUTHORIZED,
            `createLinode with a read-only token: ${JSON.stringify(create)}`);
        const balancers = await callExpectingError('getNodeBalancers with a linodes token', getNodeBalancers());
        check(balancers.status === 401 && balancers.errors?.[0]?.reason === NOT_AUTHORIZED,
            `getNodeBalancers with a linodes token: ${JSON.stringify(balancers)}`);
        useToken(fullToken);
        const left = await call('getLinodes', getLinodes({}, { label: 'sdk-denied-1' }));
        check(left.results === 0, 'a refused createLinode still made a Linode');
        return { scopes, create: create.errors[0].reason, status: create.status };
    });

    await step('cleanup', async () => {
        await call('deleteLinode', deleteLinode(linode.id));
    });

    await step('network', async () => {
        const report = networkReport();
        check(report.refused.length === 0, `something tried to reach beyond 127.0.0.0/8: ${report.refused.join('; ')}`);
        const outside = report.contacted.filter((d) => !isLoopbackV4(d.split(':')[0]));
        check(outside.length === 0, `contacted outside 127.0.0.0/8: ${outside.join(', ')}`);
        return { contacted: report.contacted };
    });

    currentStep = 'done';
    process.stdout.write(JSON.stringify({ step: 'done', ok: true }) + '\n');
}

const watchdog = setTimeout(() => {
    process.stdout.write(JSON.stringify({ step: currentStep, ok: false, error: 'whole-run timeout' }) + '\n');
    process.exit(1);
}, WHOLE_RUN_TIMEOUT_MS);
watchdog.unref();

main().then(
    () => process.exit(0),
    (error) => {
        const message = error instanceof StepFailure ? error.message : `unexpected ${error && error.stack ? error.stack : error}`;
        process.stdout.write(JSON.stringify({ step: currentStep, ok: false, error: message }) + '\n');
        process.stderr.write(`scopes-and-disks: step '${currentStep}' failed: ${message}\n`);
        process.exit(1);
    },
);
