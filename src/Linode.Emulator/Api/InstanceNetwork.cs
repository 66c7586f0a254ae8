using System.Globalization;
using System.Text.Json.Nodes;
using Linode.Emulator.State;

namespace Linode.Emulator.Api;

/// <summary>What an instance create names on the network side (firewall, placement group, StackScript, VPC subnet):
/// each must exist, or the create is refused with 400 naming the field, as Linode does; and the firewall it ends up
/// behind (the one named, else the account default).</summary>
internal static class InstanceNetwork
{
    /// <summary>Checks the references of a create body (called with the state lock held).</summary>
    public static void CheckReferences(EmulatorState state, JsonObject json, long? firewallId, long? stackScriptId,
        Problems problems)
    {
        if (firewallId is { } fw && (!state.Firewalls.All.TryGetValue(fw, out var firewall) || firewall.Status == "deleted"))
        {
            problems.Add("firewall_id", "A valid firewall by that ID was not found");
        }
        if (stackScriptId is { } ss && state.KnownStackScripts.Count > 0 && !state.KnownStackScripts.Contains(ss))
        {
            problems.Add("stackscript_id", "A valid StackScript by that ID was not found");
        }
        // The emulator has no placement groups and no VPCs: any id names something that does not exist.
        if (json["placement_group"] is JsonObject group && group["id"] is JsonValue)
        {
            problems.Add("placement_group.id", "A valid placement group by that ID was not found");
        }
        if (json["interfaces"] is JsonArray interfaces)
        {
            for (var i = 0; i < interfaces.Count; i++)
            {
                if (interfaces[i] is JsonObject iface && iface["subnet_id"] is JsonValue)
                {
                    problems.Add(string.Create(CultureInfo.InvariantCulture, $"interfaces[{i}].subnet_id"),
                        "A valid subnet by that ID was not found");
                }
            }
        }
    }

    /// <summary>Puts a new instance behind the firewall its create named, else behind the account default.</summary>
    public static void AttachFirewall(EmulatorState state, Instance instance, long? firewallId)
    {
        var firewall = firewallId is { } id ? state.Firewalls.All.GetValueOrDefault(id) : state.Firewalls.AccountDefault;
        if (firewall is not null && firewall.Status != "deleted")
        {
            FirewallRoutes.AttachWithEvent(state, firewall, "linode", instance.Id, instance.Label);
        }
    }
}
