// Linode's own JavaScript SDK (@linode/api-v4) against the emulator's Cloud Firewalls, with the SDK's own functions:
// create a firewall, set its rules, attach a Linode and a NodeBalancer, read them back from both sides (the
// firewall's devices, the Linode's and the NodeBalancer's firewalls), detach, delete.
//
//   node firewalls.mjs <api root, e.g. http://127.0.0.1:PORT/v4> <token>
//
// Prints one JSON line per step ({"step":...,"ok":true,...}); on the first failure prints {"ok":false,...} and a
// message on stderr, and exits 1. The token and the root password are never printed.
// First import: it loads the network guard before the SDK.
import { call, check, checkedNetworkReport, parseArguments } from './sdk-client.mjs';
import { pointSdkAt, runScript, step, useToken } from './sdk-client.mjs';

import {
    addFirewallDevice,
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
    updateFirewallRules,
} from '@linode/api-v4';

const WHOLE_RUN_TIMEOUT_MS = 4 * 60_000;
const ROOT_PASS = 'Sdk-Sc3nario!horse-battery-staple';

async function main() {
    const { apiRoot, tokens: [token] } = parseArguments('firewalls.mjs', ['token']);
    pointSdkAt(apiRoot);
    useToken(token);

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

    await step('network', async () => ({ contacted: checkedNetworkReport().contacted }));
}

runScript('firewalls', WHOLE_RUN_TIMEOUT_MS, main);
