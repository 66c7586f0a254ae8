// Linode's own JavaScript SDK (@linode/api-v4) against the emulator, for what real tools read besides our
// autoscaler: an instance's disks and configs (Terraform's linode_instance reads both), the profile, grants and users
// (linode-cli's configure), a NodeBalancer's stats and VPCs, and what a token limited to linodes:read_only may do.
//
//   node scopes-and-disks.mjs <api root, e.g. http://127.0.0.1:PORT/v4> <full token> <linodes:read_only token>
//
// Prints one JSON line per step ({"step":...,"ok":true,...}); on the first failure prints {"ok":false,...} and a
// message on stderr, and exits 1. Tokens and the root password are never printed.
// First import: it loads the network guard before the SDK.
import { call, callExpectingError, check, checkedNetworkReport, parseArguments } from './sdk-client.mjs';
import { pointSdkAt, runScript, step, useToken } from './sdk-client.mjs';

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
} from '@linode/api-v4';

const WHOLE_RUN_TIMEOUT_MS = 4 * 60_000;
const ROOT_PASS = 'Sdk-Sc3nario!horse-battery-staple';
const NOT_AUTHORIZED = 'Your OAuth token is not authorized to use this endpoint.';

async function main() {
    const { apiRoot, tokens: [fullToken, readOnlyToken] } =
        parseArguments('scopes-and-disks.mjs', ['full token', 'linodes:read_only token']);
    pointSdkAt(apiRoot);
    useToken(fullToken);

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

    await step('network', async () => ({ contacted: checkedNetworkReport().contacted }));
}

runScript('scopes-and-disks', WHOLE_RUN_TIMEOUT_MS, main);
