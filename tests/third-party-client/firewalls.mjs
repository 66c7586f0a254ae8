// Linode's own JavaScript SDK (@linode/api-v4) against the emulator's Cloud Firewalls, with the SDK's own functions:
// create a firewall, set its rules, attach a Linode and a NodeBalancer, read them back from both sides (the
// firewall's devices, the Linode's and the NodeBalancer's firewalls), detach, delete.
//
//   node firewalls.mjs <api root, e.g. http://127.0.0.1:PORT/v4> <token>
//
// Prints one JSON line per step ({"step":...,"ok":true,...}); on the first failure prints {"ok":false,...} and a
// message on stderr, and exits 1. The token and the root password are never printed.
import { networkReport, isLoopbackV4 } from './network-guard.mjs';

import {
    addFirewallDevice,
    baseRequest,
    createFirewall,
    createLinode,
    createNodeBalancer,
    deleteFirewall,
    deleteFirewallDevice,
    deleteLinode,
    deleteNodeBalancer,
    getFirewall,
    getFirewallDevices,
    getFirewallRules,
    getFirewalls,
    getLinodeFirewalls,
    getNodeBalancerFirewalls,
    setToken,
    updateFirewallRules,
} from '@linode/api-v4';

const WHOLE_RUN_TIMEOUT_MS = 4 * 60_000;
const ROOT_PASS = 'Sdk-Sc3nario!horse-battery-staple';

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

function parseArguments() {
    const [apiRoot, token] = process.argv.slice(2);
    if (!apiRoot || !token) {
        fail('usage: node firewalls.mjs <api root> <token>');
    }
    const url = new URL(apiRoot);
    check(url.protocol === 'http:' && isLoopbackV4(url.hostname) && /\/v4\/?$/.test(url.pathname),
        `the API root must be http://127.x.y.z:port/v4, not '${apiRoot}'`);
    return { apiRoot: apiRoot.replace(/\/+$/, ''), token };
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
    const { apiRoot, token } = parseArguments();
    pointSdkAt(apiRoot);
    setToken(token);

    const firewall = await step('firewall_create', async () => {
        const created = await call('createFirewall', createFirewall({
            label: 'sdk-app-fw',
            tags: ['sdk'],
            rules: { inbound_policy: 'DROP', outbound_policy: 'ACCEPT', inbound: [], outbound: [] },
        }));
        check(typeof created.id === 'number' && created.status === 'enabled', `createFirewall: ${JSON.stringify(created)}`);
        check(created.rules.inbound_policy === 'DROP', `createFirewall: rules ${JSON.stringify(created.rules)}`);
        const one = await call('getFirewall', getFirewall(created.id));
        check(one.label === 'sdk-app-fw', `getFirewall: ${JSON.stringify(one)}`);
        return { id: created.id, label: created.label };
    });

    await step('firewall_rules', async () => {
        // What the NodeBalancer needs: TCP 8080 from its private range; everything else dropped.
        const rules = await call('updateFirewallRules', updateFirewallRules(firewall.id, {
            inbound_policy: 'DROP',
            outbound_policy: 'ACCEPT',
            inbound: [{
                action: 'ACCEPT',
                protocol: 'TCP',
                ports: '8080',
                addresses: { ipv4: ['192.168.255.0/24'] },
                label: 'nodebalancer-to-app',
            }],
            outbound: [],
        }));
        check(rules.inbound.length === 1 && rules.inbound[0].ports === '8080', `updateFirewallRules: ${JSON.stringify(rules)}`);
        const read = await call('getFirewallRules', getFirewallRules(firewall.id));
        check(read.inbound_policy === 'DROP' && read.inbound[0].addresses.ipv4[0] === '192.168.255.0/24',
            `getFirewallRules: ${JSON.stringify(read)}`);
        return { inbound: read.inbound.length, policy: read.inbound_policy, version: read.version };
    });

    const attached = await step('firewall_devices', async () => {
        const linode = await call('createLinode', createLinode({
            label: 'sdk-fw-linode-1',
            region: 'us-east',
            type: 'g6-nanode-1',
            image: 'linode/debian12',
            root_pass: ROOT_PASS,
            booted: false,
        }));
        const nb = await call('createNodeBalancer', createNodeBalancer({ label: 'sdk-fw-nb', region: 'us-east', configs: [] }));
        const linodeDevice = await call('addFirewallDevice linode', addFirewallDevice(firewall.id, { id: linode.id, type: 'linode' }));
        check(linodeDevice.entity.id === linode.id && linodeDevice.entity.type === 'linode', `addFirewallDevice: ${JSON.stringify(linodeDevice)}`);
        const nbDevice = await call('addFirewallDevice nodebalancer', addFirewallDevice(firewall.id, { id: nb.id, type: 'nodebalancer' }));
        check(nbDevice.entity.id === nb.id && nbDevice.entity.type === 'nodebalancer', `addFirewallDevice: ${JSON.stringify(nbDevice)}`);
        const devices = await call('getFirewallDevices', getFirewallDevices(firewall.id));
        check(devices.results === 2, `getFirewallDevices: ${JSON.stringify(devices)}`);
        const ofLinode = await call('getLinodeFirewalls', getLinodeFirewalls(linode.id));
        check(ofLinode.results === 1 && ofLinode.data[0].id === firewall.id && ofLinode.data[0].rules.inbound.length === 1,
            `getLinodeFirewalls: ${JSON.stringify(ofLinode)}`);
        const ofBalancer = await call('getNodeBalancerFirewalls', getNodeBalancerFirewalls(nb.id));
        check(ofBalancer.results === 1 && ofBalancer.data[0].id === firewall.id, `getNodeBalancerFirewalls: ${JSON.stringify(ofBalancer)}`);
        return { linode: linode.id, nodebalancer: nb.id, linodeDevice: linodeDevice.id, devices: devices.results, nodebalancerFirewalls: ofBalancer.results };
    });

    await step('firewall_delete', async () => {
        await call('deleteFirewallDevice', deleteFirewallDevice(firewall.id, attached.linodeDevice));
        const left = await call('getLinodeFirewalls', getLinodeFirewalls(attached.linode));
        check(left.results === 0, `getLinodeFirewalls after detaching: ${JSON.stringify(left)}`);
        await call('deleteFirewall', deleteFirewall(firewall.id));
        const gone = await call('getFirewalls', getFirewalls({}, { label: 'sdk-app-fw' }));
        check(gone.results === 0, `getFirewalls after delete: ${JSON.stringify(gone)}`);
        const ofBalancer = await call('getNodeBalancerFirewalls', getNodeBalancerFirewalls(attached.nodebalancer));
        check(ofBalancer.results === 0, `getNodeBalancerFirewalls after delete: ${JSON.stringify(ofBalancer)}`);
        await call('deleteLinode', deleteLinode(attached.linode));
        await call('deleteNodeBalancer', deleteNodeBalancer(attached.nodebalancer));
        return { remaining: gone.results };
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
        process.stderr.write(`firewalls: step '${currentStep}' failed: ${message}\n`);
        process.exit(1);
    },
);
