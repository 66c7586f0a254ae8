using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Autoscaler.Service.Tests.Reliability;

// Accepted (200, no action): odd but valid notifications that never match a scaling signal of the pool.
public sealed partial class FuzzBodies
{
    private FuzzCase OddButValid()
    {
        var alerts = new JsonArray();
        var count = _random.Next(20) == 0 ? _random.Next(20, 60) : _random.Next(1, 4);
        for (var i = 0; i < count; i++)
        {
            alerts.Add(_random.Next(6) switch
            {
                // Another pool's alert, an alert nobody scales on, a resolve of something never seen, a scale-down at min.
                0 => Alert("PoolCpuHigh", "firing", Pick(["api", "other", "WEB", "web ", ""])),
                1 => Alert(Pick(["DiskFull", "Watchdog", "poolcpuhigh", "PoolCpuHigh2", "ü字😀", ""]), "firing", _random.Next(2) == 0 ? null : "web"),
                2 => Alert("PoolCpuHigh", "resolved", "web"),
                3 => Alert("PoolCpuLow", "firing", "web"),
                4 => Alert("InstanceDown", "firing", "web", new JsonObject { ["instance"] = "127.10.0.5:9100", ["🔥"] = "\u202Eltr", ["empty"] = "" }),
                _ => Alert("PoolCpuHigh", "resolved", null),
            });
        }

        var n = Notification(alerts.All(a => a!["status"]!.GetValue<string>() == "resolved") ? "resolved" : "firing", alerts);
        var alert = alerts[0]!.AsObject();
        string? contentType = JsonType;
        switch (_random.Next(16))
        {
            case 0:
                n["unknownField"] = WrongValue(stringIsWrong: false, nullIsWrong: false);
                n["groupLabels"] = JsonValue.Create(42);
                n["commonLabels"] = new JsonArray();
                break;
            case 1:
                alert["annotations"] = null;
                alert["endsAt"] = null;
                alert.Remove("generatorURL");
                n["receiver"] = null;
                n["groupKey"] = null;
                break;
            case 2:
                alert.Remove("fingerprint");
                break;
            case 3:
                alert["fingerprint"] = "";
                break;
            case 4:
                alert["startsAt"] = Pick(["2026-01-01T00:00:00.123456789Z", "2026-01-01T05:30:00+05:30", "2026-01-01t00:00:00z", "2026-01-01 00:00:00Z", "1970-01-01T00:00:00Z"]);
                break;
            case 5:
                alert["endsAt"] = Pick(["2025-01-01T00:00:00Z", "9000-01-01T00:00:00Z", "0001-01-01T00:00:00Z"]);
                break;
            case 6:
                for (var l = 0; l < 200; l++)
                {
                    alert["labels"]!["l" + l.ToString(CultureInfo.InvariantCulture)] = "v" + l.ToString(CultureInfo.InvariantCulture);
                }

                break;
            case 7:
                alert["annotations"]!["description"] = new string('d', _random.Next(100, _maxBody / 4));
                break;
            case 8:
                // Once "none" too; a POST without Content-Type is refused now (a cross-site request can omit it). The draw
                // stays, so a seed's cases stay the same.
                contentType = _random.Next(3) == 0 ? JsonType : Pick(JsonMediaTypes);
                break;
            case 9:
                n["truncatedAlerts"] = JsonNode.Parse(string.Concat(Enumerable.Repeat("[", 13)) + "1e308" + string.Concat(Enumerable.Repeat("]", 13)));
                break;
            case 10:
                n["version"] = "4";
                n["extra"] = new JsonObject { ["nested"] = new JsonObject { ["deeper"] = new JsonArray(null, true, 1.5, "s") } };
                break;
            default:
                break;
        }

        var text = Text(n, indented: _random.Next(4) == 0);
        byte[] body = _random.Next(12) switch
        {
            0 => [0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes(text)],
            1 => Encoding.UTF8.GetBytes(" \n\t" + text + "\r\n "),
            // Duplicate keys: the last one is used, as in most JSON readers.
            2 => Encoding.UTF8.GetBytes(text.Insert(1, "\"version\":\"3\",")),
            _ => Encoding.UTF8.GetBytes(text),
        };
        return body.Length > _maxBody
            ? new FuzzCase(_index++, "odd_valid", Encoding.UTF8.GetBytes(Text(Notification("resolved", new JsonArray(Alert("PoolCpuHigh", "resolved", "web"))))), JsonType, false, 200, [])
            : new FuzzCase(_index++, "odd_valid", body, contentType, _random.Next(10) == 0, 200, []);
    }
}
