using Microsoft.Extensions.Logging;

namespace Autoscaler.Linode.Provider;

/// <summary>What the pool logs (event ids 100–199).</summary>
public sealed partial class LinodeInstancePool
{
    [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "pool {Pool}: creating instance {Label} ({OperationId}): {Reason}")]
    private partial void LogLaunching(string pool, string label, string operationId, string reason);

    [LoggerMessage(EventId = 101, Level = LogLevel.Information, Message = "pool {Pool}: created instance {Label} ({InstanceId}), status {Status}")]
    private partial void LogLaunched(string pool, string label, long instanceId, string status);

    [LoggerMessage(EventId = 102, Level = LogLevel.Information, Message = "pool {Pool}: instance {Label} ({InstanceId}) already exists: adopted instead of creating another")]
    private partial void LogLaunchAdopted(string pool, string label, long instanceId);

    [LoggerMessage(EventId = 103, Level = LogLevel.Information, Message = "pool {Pool}: create of {Label} waited {WaitSeconds:0.0} s for the account's instance-create rate limit")]
    private partial void LogCreateRateLimited(string pool, string label, double waitSeconds);

    [LoggerMessage(EventId = 110, Level = LogLevel.Information, Message = "pool {Pool}: {Label} joined {Target} as node {NodeId} ({Address})")]
    private partial void LogJoined(string pool, string label, string address, long nodeId, string target);

    [LoggerMessage(EventId = 111, Level = LogLevel.Debug, Message = "pool {Pool}: {Label} already has node {NodeId} ({Address}, mode {Mode}): join is a no-op")]
    private partial void LogAlreadyJoined(string pool, string label, string address, long nodeId, string mode);

    [LoggerMessage(EventId = 112, Level = LogLevel.Information, Message = "pool {Pool}: {Label} had no private IPv4: allocated {Address}")]
    private partial void LogPrivateIpAllocated(string pool, string label, string address);

    [LoggerMessage(EventId = 120, Level = LogLevel.Information, Message = "pool {Pool}: node {NodeId} of {Label} ({Address}) set to drain")]
    private partial void LogDrained(string pool, string label, string address, long nodeId);

    [LoggerMessage(EventId = 122, Level = LogLevel.Information, Message = "pool {Pool}: node {NodeId} of {Label} ({Address}) taken back: mode accept")]
    private partial void LogUndrained(string pool, string label, string address, long nodeId);

    [LoggerMessage(EventId = 121, Level = LogLevel.Debug, Message = "pool {Pool}: {Label} has no node: {Action} is a no-op")]
    private partial void LogNoNode(string pool, string label, string action);

    [LoggerMessage(EventId = 130, Level = LogLevel.Information, Message = "pool {Pool}: removed node {NodeId} of {Label} ({Address})")]
    private partial void LogNodeRemoved(string pool, string label, string address, long nodeId);

    [LoggerMessage(EventId = 131, Level = LogLevel.Information, Message = "pool {Pool}: deleting instance {Label} ({InstanceId})")]
    private partial void LogInstanceDeleted(string pool, string label, long instanceId);

    [LoggerMessage(EventId = 132, Level = LogLevel.Debug, Message = "pool {Pool}: instance {InstanceId} ({Label}) no longer exists: {Action} is a no-op")]
    private partial void LogMemberGone(string pool, string instanceId, string label, string action);

    [LoggerMessage(EventId = 140, Level = LogLevel.Information, Message = "pool {Pool}: removed orphan node {NodeId} ({Address}, label {Label})")]
    private partial void LogOrphanRemoved(string pool, long nodeId, string address, string label);

    [LoggerMessage(EventId = 141, Level = LogLevel.Information, Message = "pool {Pool}: orphan node {NodeId} changed since the snapshot (now {Address}, label {Label}): left alone")]
    private partial void LogOrphanChanged(string pool, long nodeId, string address, string label);

    [LoggerMessage(EventId = 142, Level = LogLevel.Information, Message = "pool {Pool}: node {NodeId} ({Label}, {Address}) was not added by the autoscaler and is no member's: never touched")]
    private partial void LogForeignNode(string pool, long nodeId, string label, string address);

    [LoggerMessage(EventId = 150, Level = LogLevel.Warning, Message = "pool {Pool}: instance {InstanceId} ({Label}) does not carry the pool tag {PoolTag}: refused to {Action} it")]
    private partial void LogRefused(string pool, long instanceId, string label, string poolTag, string action);
}
