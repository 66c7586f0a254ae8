// Refuses, at the socket layer, every outgoing connection except to a literal 127.0.0.0/8 address, and every DNS
// query, so neither the SDK nor anything it loads (axios, follow-redirects, Node's fetch) can reach another host:
// a telemetry call, a proxy taken from the environment or a hard-coded api.linode.com would fail here before a
// packet leaves. Imported before the SDK; every destination it let through is kept for the scenario's last check.
import dgram from 'node:dgram';
import dns from 'node:dns';
import net from 'node:net';

const contacted = new Set();
const refused = [];

export const isLoopbackV4 = (host) => net.isIPv4(host) && host.startsWith('127.');

function refuse(what) {
    refused.push(what);
    const error = new Error(`network guard: refused ${what} (only 127.0.0.0/8 may be contacted)`);
    error.code = 'ENETGUARD';
    return error;
}

// net.connect() hands Socket#connect an already normalised [options, callback] array; direct callers pass
// (options[, cb]), (port[, host][, cb]) or (path[, cb]).
function destinationOf(args) {
    const list = Array.isArray(args[0]) ? args[0] : args;
    const first = list[0];
    if (first !== null && typeof first === 'object') {
        // HTTP agents pass path: null along with host and port; only a string path is a Unix socket.
        return typeof first.path === 'string' && first.path.length > 0
            ? { path: first.path }
            : { host: first.host ?? 'localhost', port: first.port };
    }
    if (typeof first === 'string' && !/^\d+$/.test(first)) {
        return { path: first };
    }
    return { host: typeof list[1] === 'string' ? list[1] : 'localhost', port: first };
}

const originalConnect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function guardedConnect(...args) {
    const destination = destinationOf(args);
    if (destination.path !== undefined) {
        // A Unix socket never leaves the machine.
        contacted.add(`unix:${destination.path}`);
        return originalConnect.apply(this, args);
    }
    const { host, port } = destination;
    if (!isLoopbackV4(String(host))) {
        const error = refuse(`a TCP connection to ${host}:${port}`);
        process.nextTick(() => this.destroy(error));
        return this;
    }
    contacted.add(`${host}:${port}`);
    return originalConnect.apply(this, args);
};

// A name lookup is itself a packet to a resolver; the scenario only ever needs IP literals.
for (const target of [dns, dns.promises, dns.Resolver.prototype, dns.promises.Resolver.prototype]) {
    for (const name of Object.getOwnPropertyNames(target)) {
        if (typeof target[name] !== 'function' || !/^(lookup|lookupService|resolve|reverse)/.test(name)) {
            continue;
        }
        target[name] = function guardedDns(query) {
            throw refuse(`a DNS query (${name} ${String(query)})`);
        };
    }
}

const originalSend = dgram.Socket.prototype.send;
dgram.Socket.prototype.send = function guardedSend(...args) {
    // send(msg[, offset, length][, port][, address][, callback]): the address is the first string after the message.
    const address = args.slice(1).find((a) => typeof a === 'string');
    if (!isLoopbackV4(String(address))) {
        throw refuse(`a UDP datagram to ${address ?? '(connected peer)'}`);
    }
    contacted.add(`udp:${address}`);
    return originalSend.apply(this, args);
};

/** Every destination let through, and every attempt refused, so far. */
export function networkReport() {
    return { contacted: [...contacted].sort(), refused: [...refused] };
}
