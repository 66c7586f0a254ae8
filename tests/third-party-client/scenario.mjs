// Linode's own JavaScript SDK (@linode/api-v4) against the emulator: the scenario of our plain-HTTP end-to-end test
// (create, find by tag, boot, NodeBalancer with an HTTP-checked node, traffic, drain, delete) plus the API's error
// shapes, all through the SDK's exported functions.
//
//   node scenario.mjs <api root, e.g. http://127.0.0.1:PORT/v4> <token>
//
// Prints one JSON line per step ({"step":...,"ok":true,...}); on the first failure prints {"ok":false,...} and a
// message on stderr, and exits 1. The token and the root password are never printed.
// First import: it loads the network guard before the SDK.
import { apiErrorsOf, call, callExpectingError, check, checkedNetworkReport, describe, fail } from './sdk-client.mjs';
import { isLoopbackV4, parseArguments, pointSdkAt, runScript, step, useToken } from './sdk-client.mjs';

import { readFile } from 'node:fs/promises';
import {
    createLinode,
    createNodeBalancer,
    createNodeBalancerConfig,
    createNodeBalancerConfigNode,
    deleteLinode,
    deleteNodeBalancer,
    deleteNodeBalancerConfigNode,
    getEvents,
    getImage,
    getLinode,
    getLinodeIPs,
    getLinodes,
    getLinodeTypes,
    getNodeBalancer,
    getNodeBalancerConfig,
    getNodeBalancerConfigNode,
    getNodeBalancerConfigNodes,
    getRegions,
    updateNodeBalancerConfigNode,
} from '@linode/api-v4';

const POLL_TIMEOUT_MS = 90_000;
const POLL_INTERVAL_MS = 250;
const WHOLE_RUN_TIMEOUT_MS = 8 * 60_000;
const TAG = 'sdk-test';
const LABEL = 'sdk-web-1';
const NB_LABEL = 'sdk-nb';
const CONFIG_PORT = 8090;
const APP_PORT = 8080;
// Strong enough for the API's strength rule; never printed.
const ROOT_PASS = 'Sdk-Sc3nario!horse-battery-staple';

async function poll(what, probe) {
    const deadline = Date.now() + POLL_TIMEOUT_MS;
    let last;
    for (;;) {
        last = await probe();
        if (last.done) {
            return last.value;
        }
        if (Date.now() > deadline) {
            fail(`gave up waiting for ${what} after ${POLL_TIMEOUT_MS / 1000} s (last seen: ${last.seen})`);
        }
        await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
    }
}

const sameText = (a, b) => String(a).toLowerCase() === String(b).toLowerCase();

async function sdkVersion() {
    const manifest = new URL('./node_modules/@linode/api-v4/package.json', import.meta.url);
    return JSON.parse(await readFile(manifest, 'utf8')).version;
}

async function main() {
    const { apiRoot, tokens: [token] } = parseArguments('scenario.mjs', ['token']);
    const sdkRoot = pointSdkAt(apiRoot);
    useToken(token);

    await step('setup', async () => ({
        sdk: '@linode/api-v4',
        version: await sdkVersion(),
        sdk_root: sdkRoot,
        api_root: apiRoot,
    }));

    // Catalog.
    await step('regions', async () => {
        const page = await call('getRegions', getRegions());
        const usEast = page.data.find((r) => r.id === 'us-east');
        check(usEast, `getRegions: us-east not listed (got ${page.data.map((r) => r.id).join(', ')})`);
        check(usEast.capabilities.includes('Linodes') && usEast.capabilities.includes('NodeBalancers'),
            `getRegions: us-east lacks Linodes/NodeBalancers (${usEast.capabilities.join(', ')})`);
        return { results: page.results, pages: page.pages };
    });
    const nanode = await step('types', async () => {
        const page = await call('getLinodeTypes', getLinodeTypes());
        const type = page.data.find((t) => t.id === 'g6-nanode-1');
        check(type, 'getLinodeTypes: g6-nanode-1 not listed');
        check(type.class === 'nanode' && type.vcpus >= 1 && type.memory > 0,
            `getLinodeTypes: odd g6-nanode-1 ${JSON.stringify(type)}`);
        return { results: page.results, type: type.id, vcpus: type.vcpus, memory: type.memory };
    });
    await step('image', async () => {
        // The SDK path-escapes the id: GET /images/linode%2Fdebian12.
        const image = await call('getImage', getImage('linode/debian12'));
        check(image.id === 'linode/debian12', `getImage: id is ${image.id}`);
        check(image.is_public === true && image.status === 'available',
            `getImage: ${JSON.stringify(image).slice(0, 300)}`);
        return { id: image.id, label: image.label };
    });

    // A Linode, found by its tag, booted.
    const linode = await step('linode_create', async () => {
        const created = await call('createLinode', createLinode({
            label: LABEL,
            region: 'us-east',
            type: nanode.type,
            image: 'linode/debian12',
            root_pass: ROOT_PASS,
            private_ip: true,
            tags: [TAG],
        }));
        check(Number.isInteger(created.id), `createLinode: no id in ${JSON.stringify(created).slice(0, 300)}`);
        check(created.label === LABEL && created.region === 'us-east' && created.type === nanode.type,
            `createLinode: label/region/type ${created.label}/${created.region}/${created.type}`);
        check(Array.isArray(created.tags) && created.tags.includes(TAG),
            `createLinode: tags ${JSON.stringify(created.tags)}`);
        check(!('root_pass' in created), 'createLinode: the response echoes root_pass');
        return { id: created.id, label: created.label, status: created.status, ipv4: created.ipv4 };
    });
    await step('linode_find_by_tag', async () => {
        const tagged = await call('getLinodes', getLinodes({ page_size: 500 }, { tags: TAG }));
        check(tagged.results === 1 && tagged.data.length === 1 && tagged.data[0].id === linode.id,
            `getLinodes with X-Filter {"tags":"${TAG}"}: ids ${JSON.stringify(tagged.data.map((l) => l.id))}, ` +
            `results ${tagged.results}`);
        const untagged = await call('getLinodes', getLinodes({}, { tags: 'sdk-no-such-tag' }));
        check(untagged.results === 0 && untagged.data.length === 0 && untagged.pages === 1,
            `getLinodes with an unused tag: ${untagged.results} results, ${untagged.pages} pages`);
        const byLabel = await call('getLinodes', getLinodes({}, { '+and': [{ label: LABEL }, { region: 'us-east' }] }));
        check(byLabel.results === 1 && byLabel.data[0].id === linode.id,
            `getLinodes with +and label/region: ${byLabel.results} results`);
        return { id: tagged.data[0].id, results: tagged.results };
    });
    await step('linode_running', async () => {
        const seen = [];
        const l = await poll('the Linode to be running', async () => {
            const current = await call('getLinode', getLinode(linode.id));
            if (seen[seen.length - 1] !== current.status) {
                seen.push(current.status);
            }
            return { done: current.status === 'running', value: current, seen: current.status };
        });
        return { id: l.id, statuses: seen };
    });
    const privateIp = await step('linode_ips', async () => {
        const ips = await call('getLinodeIPs', getLinodeIPs(linode.id));
        const priv = ips.ipv4.private;
        const pub = ips.ipv4.public;
        check(priv.length === 1 && /^192\.168\./.test(priv[0].address) && priv[0].public === false,
            `getLinodeIPs: private ${JSON.stringify(priv)}`);
        check(pub.length >= 1 && isLoopbackV4(pub[0].address), `getLinodeIPs: public ${JSON.stringify(pub)}`);
        return { private: priv[0].address, public: pub[0].address };
    });
    await step('events', async () => {
        const page = await call('getEvents', getEvents({ page_size: 100 },
            { 'entity.id': linode.id, 'entity.type': 'linode', '+order_by': 'created', '+order': 'desc' }));
        const actions = page.data.map((e) => e.action);
        check(actions.includes('linode_create'),
            `getEvents: no linode_create for ${linode.id} (got ${actions.join(', ')})`);
        check(page.data.every((e) => e.entity && e.entity.id === linode.id && e.entity.type === 'linode'),
            'getEvents: an event for another entity came through the filter');
        return { actions };
    });

    // A NodeBalancer with an HTTP-checked config, and the Linode's private address as its node.
    const nb = await step('nodebalancer_create', async () => {
        // The SDK maps configs[] (and their nodes) before sending, so it needs the list even when it is empty.
        const created = await call('createNodeBalancer',
            createNodeBalancer({ label: NB_LABEL, region: 'us-east', configs: [] }));
        check(Number.isInteger(created.id) && isLoopbackV4(created.ipv4),
            `createNodeBalancer: ${JSON.stringify(created).slice(0, 300)}`);
        const again = await call('getNodeBalancer', getNodeBalancer(created.id));
        check(again.label === NB_LABEL && again.ipv4 === created.ipv4, `getNodeBalancer: ${again.label} ${again.ipv4}`);
        return { id: created.id, ipv4: created.ipv4, hostname: created.hostname };
    });
    const config = await step('config_create', async () => {
        // The SDK's schema insists on at least one node in a new config, and sends it in the POST body.
        const created = await call('createNodeBalancerConfig', createNodeBalancerConfig(nb.id, {
            port: CONFIG_PORT,
            protocol: 'http',
            algorithm: 'roundrobin',
            check: 'http',
            check_path: '/health',
            check_interval: 2,
            check_timeout: 1,
            check_attempts: 2,
            nodes: [
                { label: 'sdk-config-node', address: privateIp.private, port: APP_PORT, mode: 'accept', weight: 50 },
            ],
        }));
        check(Number.isInteger(created.id) && created.port === CONFIG_PORT && created.check === 'http'
            && created.check_path === '/health' && created.check_interval === 2 && created.check_timeout === 1
            && created.check_attempts === 2, `createNodeBalancerConfig: ${JSON.stringify(created).slice(0, 400)}`);
        const fetched = await call('getNodeBalancerConfig', getNodeBalancerConfig(nb.id, created.id));
        check(fetched.id === created.id && fetched.nodebalancer_id === nb.id,
            `getNodeBalancerConfig: ${JSON.stringify(fetched).slice(0, 300)}`);
        const nodes = await call('getNodeBalancerConfigNodes', getNodeBalancerConfigNodes(nb.id, created.id));
        check(nodes.results === 1 && nodes.data[0].label === 'sdk-config-node',
            `the node sent with the config was not created: ${JSON.stringify(nodes).slice(0, 300)}`);
        return {
            id: created.id,
            port: created.port,
            nodes_created_from_body: nodes.results,
            body_node_ids: nodes.data.map((n) => n.id),
        };
    });
    const node = await step('node_create', async () => {
        // The node that came with the config's body is replaced by one made through the nodes endpoint, so both
        // ways of adding a node are exercised.
        for (const id of config.body_node_ids) {
            await call('deleteNodeBalancerConfigNode', deleteNodeBalancerConfigNode(nb.id, config.id, id));
        }
        const created = await call('createNodeBalancerConfigNode', createNodeBalancerConfigNode(nb.id, config.id, {
            label: 'sdk-node',
            address: privateIp.private,
            port: APP_PORT,
        }));
        check(created.address === `${privateIp.private}:${APP_PORT}`,
            `createNodeBalancerConfigNode: address ${created.address}`);
        check(created.mode === 'accept' && created.weight >= 1,
            `createNodeBalancerConfigNode: mode/weight ${created.mode}/${created.weight}`);
        check(sameText(created.status, 'unknown'),
            `createNodeBalancerConfigNode: a new node's status is ${created.status}`);
        check(created.config_id === config.id && created.nodebalancer_id === nb.id,
            'createNodeBalancerConfigNode: config_id/nodebalancer_id');
        const { id, address, status, mode, weight } = created;
        return { id, address, status, mode, weight };
    });
    await step('node_up', async () => {
        const seen = [];
        const up = await poll('the node to be UP', async () => {
            const page = await call('getNodeBalancerConfigNodes', getNodeBalancerConfigNodes(nb.id, config.id));
            const mine = page.data.find((n) => n.id === node.id);
            const status = mine ? mine.status : '(missing)';
            if (seen[seen.length - 1] !== status) {
                seen.push(status);
            }
            const seenNow = `${page.results} nodes, status ${status}`;
            return { done: page.results === 1 && status === 'UP', value: mine, seen: seenNow };
        });
        const cfg = await call('getNodeBalancerConfig', getNodeBalancerConfig(nb.id, config.id));
        check(cfg.nodes_status && cfg.nodes_status.up === 1 && cfg.nodes_status.down === 0,
            `getNodeBalancerConfig: nodes_status ${JSON.stringify(cfg.nodes_status)}`);
        return { id: up.id, statuses: seen, nodes_status: cfg.nodes_status };
    });

    // Plain HTTP through the NodeBalancer reaches the Workload the Linode booted.
    await step('traffic', async () => {
        const url = `http://${nb.ipv4}:${CONFIG_PORT}/?work_ms=1`;
        let served = 0;
        for (let i = 0; i < 5; i++) {
            let response;
            try {
                response = await fetch(url, { redirect: 'error', signal: AbortSignal.timeout(15_000) });
            } catch (error) {
                fail(`GET ${url} failed: ${error.message}`);
            }
            const text = await response.text();
            check(response.status === 200, `GET ${url} -> ${response.status} ${text.slice(0, 200)}`);
            check(response.headers.get('x-instance') === LABEL,
                `GET ${url}: X-Instance is ${response.headers.get('x-instance')}`);
            check(text.startsWith(`ok instance=${LABEL} `), `GET ${url}: body ${text.slice(0, 200)}`);
            served++;
        }
        return { url, requests: served, instance: LABEL };
    });

    // Drain, then take everything down.
    await step('node_drain', async () => {
        // The SDK always sends address:port from the node's address and port, so an update repeats them.
        const updated = await call('updateNodeBalancerConfigNode',
            updateNodeBalancerConfigNode(nb.id, config.id, node.id, {
                label: 'sdk-node',
                address: privateIp.private,
                port: APP_PORT,
                weight: node.weight,
                mode: 'drain',
            }));
        check(updated.mode === 'drain' && updated.address === node.address,
            `updateNodeBalancerConfigNode: ${updated.mode} ${updated.address}`);
        const fetched = await call('getNodeBalancerConfigNode', getNodeBalancerConfigNode(nb.id, config.id, node.id));
        check(fetched.mode === 'drain', `getNodeBalancerConfigNode: mode ${fetched.mode}`);
        return { id: node.id, mode: fetched.mode };
    });
    await step('node_delete', async () => {
        const result = await call('deleteNodeBalancerConfigNode',
            deleteNodeBalancerConfigNode(nb.id, config.id, node.id));
        check(result && typeof result === 'object' && Object.keys(result).length === 0,
            `deleteNodeBalancerConfigNode: ${JSON.stringify(result)}`);
        const left = await call('getNodeBalancerConfigNodes', getNodeBalancerConfigNodes(nb.id, config.id));
        check(left.results === 0 && left.data.length === 0,
            `getNodeBalancerConfigNodes after delete: ${left.results} nodes`);
        return { id: node.id };
    });
    await step('linode_delete', async () => {
        const result = await call('deleteLinode', deleteLinode(linode.id));
        check(result && Object.keys(result).length === 0, `deleteLinode: ${JSON.stringify(result)}`);
        return { id: linode.id };
    });
    await step('nodebalancer_delete', async () => {
        const result = await call('deleteNodeBalancer', deleteNodeBalancer(nb.id));
        check(result && Object.keys(result).length === 0, `deleteNodeBalancer: ${JSON.stringify(result)}`);
        const gone = await callExpectingError('getNodeBalancer after delete', getNodeBalancer(nb.id));
        check(gone.status === 404, `getNodeBalancer after delete: ${gone.status}`);
        return { id: nb.id };
    });
    await step('linode_gone', async () => {
        const seen = [];
        const gone = await poll('the Linode to be gone', async () => {
            try {
                const current = await getLinode(linode.id);
                if (seen[seen.length - 1] !== current.status) {
                    seen.push(current.status);
                }
                return { done: false, seen: current.status };
            } catch (error) {
                const e = apiErrorsOf(error);
                check(e.source === 'api' && e.status === 404, `getLinode while deleting: ${describe(error)}`);
                return { done: true, value: e };
            }
        });
        check(Array.isArray(gone.errors) && gone.errors.length === 1 && gone.errors[0].reason === 'Not found',
            `getLinode of a deleted Linode: ${JSON.stringify(gone.errors)}`);
        const tagged = await call('getLinodes', getLinodes({}, { tags: TAG }));
        check(tagged.results === 0, `getLinodes by tag after delete: ${tagged.results} left`);
        return { id: linode.id, statuses: seen, status: gone.status, errors: gone.errors };
    });

    // The API's error shapes, as the SDK hands them over.
    await step('error_validation', async () => {
        // Both values pass the SDK's own schema (it checks only that they are present), so the API has to refuse them.
        const e = await callExpectingError('createLinode with a bad region and a weak password', createLinode({
            label: 'sdk-bad-1',
            region: 'sdk-nowhere-1',
            type: nanode.type,
            image: 'linode/debian12',
            root_pass: 'password',
        }));
        check(e.status === 400, `createLinode with bad input: status ${e.status}`);
        const fields = e.errors.map((x) => x.field);
        check(fields.includes('region'),
            `createLinode with a bad region: no error names field "region" (${JSON.stringify(e.errors)})`);
        check(fields.includes('root_pass'),
            `createLinode with a weak password: no error names field "root_pass" (${JSON.stringify(e.errors)})`);
        const left = await call('getLinodes', getLinodes({}, { label: 'sdk-bad-1' }));
        check(left.results === 0, 'a refused createLinode still made a Linode');
        return { status: e.status, errors: e.errors };
    });
    await step('error_not_found', async () => {
        const e = await callExpectingError('getLinode of a missing id', getLinode(987654321));
        check(e.status === 404 && e.errors.length === 1 && e.errors[0].reason === 'Not found',
            `getLinode of a missing id: ${e.status} ${JSON.stringify(e.errors)}`);
        return { status: e.status, errors: e.errors };
    });
    await step('error_bad_token', async () => {
        useToken('sdk-scenario-wrong-token');
        let e;
        try {
            e = await callExpectingError('getLinodes with a bad token', getLinodes());
        } finally {
            useToken(token);
        }
        check(e.status === 401 && e.errors.length === 1 && e.errors[0].reason === 'Invalid Token',
            `getLinodes with a bad token: ${e.status} ${JSON.stringify(e.errors)}`);
        return { status: e.status, errors: e.errors };
    });

    await step('network', async () => {
        const report = checkedNetworkReport();
        // The guard saw both clients' connections, so its silence about anything else means something.
        const api = new URL(process.argv[2]);
        check(report.contacted.includes(`${api.hostname}:${api.port || '80'}`),
            `the guard never saw the API connection (${report.contacted.join(', ')})`);
        check(report.contacted.includes(`${nb.ipv4}:${CONFIG_PORT}`),
            `the guard never saw the NodeBalancer connection (${report.contacted.join(', ')})`);
        return { contacted: report.contacted };
    });
}

runScript('scenario', WHOLE_RUN_TIMEOUT_MS, main);
