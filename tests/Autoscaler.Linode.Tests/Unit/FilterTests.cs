using Autoscaler.Linode.Models;

namespace Autoscaler.Linode.Tests.Unit;

public sealed class FilterTests
{
    [Fact]
    public void Eq_SingleField_WritesPlainEquality() =>
        Assert.Equal("""{"region":"us-east"}""", Filter.Eq("region", "us-east").ToJson());

    [Fact]
    public void And_DistinctFields_MergesIntoOneObject() =>
        Assert.Equal("""{"region":"us-east","tags":"pool:web"}""",
            (Filter.Eq("region", "us-east") & Filter.Tag("pool:web")).ToJson());

    [Fact]
    public void OrderBy_Descending_AddsOrderKeysAfterConditions() =>
        Assert.Equal("""{"region":"us-east","tags":"pool:web","+order_by":"created","+order":"desc"}""",
            (Filter.Eq("region", "us-east") & Filter.Tag("pool:web")).OrderBy("created", SortOrder.Descending).ToJson());

    [Fact]
    public void OrderBy_OnAll_WritesOnlyOrderKeys() =>
        Assert.Equal("""{"+order_by":"id","+order":"asc"}""", Filter.All.OrderBy("id").ToJson());

    [Fact]
    public void All_WithoutOrder_IsEmptyObject() => Assert.Equal("{}", Filter.All.ToJson());

    [Fact]
    public void Or_TwoValues_WritesOrArray() =>
        Assert.Equal("""{"+or":[{"region":"us-east"},{"region":"eu-west"}]}""",
            (Filter.Eq("region", "us-east") | Filter.Eq("region", "eu-west")).ToJson());

    [Fact]
    public void Or_Nested_IsFlattened() =>
        Assert.Equal("""{"+or":[{"vcpus":1},{"class":"standard"},{"class":"nanode"}]}""",
            (Filter.Eq("vcpus", 1) | Filter.Eq("class", "standard") | Filter.Eq("class", "nanode")).ToJson());

    [Fact]
    public void And_SameFieldTwice_UsesAndOperator() =>
        Assert.Equal("""{"+and":[{"created":{"+gte":"2024-01-01T00:00:00"}},{"created":{"+lt":"2024-02-01T00:00:00"}}]}""",
            (Filter.Gte("created", new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero)) &
             Filter.Lt("created", new DateTimeOffset(2024, 2, 1, 0, 0, 0, TimeSpan.Zero))).ToJson());

    [Fact]
    public void And_WithOrInside_UsesAndOperator() =>
        Assert.Equal("""{"+and":[{"region":"us-east"},{"+or":[{"tags":"a"},{"tags":"b"}]}]}""",
            (Filter.Eq("region", "us-east") & (Filter.Tag("a") | Filter.Tag("b"))).ToJson());

    [Theory]
    [InlineData("+gt")]
    [InlineData("+gte")]
    [InlineData("+lt")]
    [InlineData("+lte")]
    [InlineData("+neq")]
    public void Operator_Number_WritesOperatorObject(string op)
    {
        var filter = op switch
        {
            "+gt" => Filter.Gt("memory", 61440),
            "+gte" => Filter.Gte("memory", 61440),
            "+lt" => Filter.Lt("memory", 61440),
            "+lte" => Filter.Lte("memory", 61440),
            _ => Filter.Neq("memory", 61440),
        };
        Assert.Equal("{\"memory\":{\"" + op + "\":61440}}", filter.ToJson());
    }

    [Fact]
    public void Contains_Text_WritesContains() =>
        Assert.Equal("""{"label":{"+contains":"web-"}}""", Filter.Contains("label", "web-").ToJson());

    [Fact]
    public void Gte_TimestampWithOffset_WritesUtcWithoutZone() =>
        Assert.Equal("""{"created":{"+gte":"2023-12-31T22:00:00"}}""",
            Filter.Gte("created", new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.FromHours(2))).ToJson());

    [Fact]
    public void Eq_LinodeWaiterShape_MatchesLinodego()
    {
        var filter = (Filter.Eq("action", "linode_boot") & Filter.Eq("entity.id", 123L) &
                      Filter.Eq("entity.type", "linode") & Filter.Gte("id", 456))
            .OrderBy("created", SortOrder.Descending);
        Assert.Equal(
            """{"action":"linode_boot","entity.id":123,"entity.type":"linode","id":{"+gte":456},"+order_by":"created","+order":"desc"}""",
            filter.ToJson());
    }

    [Fact]
    public void Eq_BoolAndEnum_WritesJsonBoolAndApiSpelling()
    {
        Assert.Equal("""{"deprecated":false}""", Filter.Eq("deprecated", false).ToJson());
        Assert.Equal("""{"status":"shutting_down"}""", Filter.Eq("status", InstanceStatus.ShuttingDown).ToJson());
    }

    [Fact]
    public void ToJson_QuotesAndNonAscii_AreEscapedForAHeader()
    {
        var json = Filter.Eq("label", "caf\u00e9 \"x\"").ToJson();
        Assert.Equal("""{"label":"caf\u00e9 \"x\""}""", json);
        Assert.True(json.All(char.IsAscii));
    }

    [Fact]
    public void Combine_DifferentOrders_Throws() =>
        Assert.Throws<InvalidOperationException>(() =>
            Filter.All.OrderBy("id") & Filter.Eq("region", "x").OrderBy("created", SortOrder.Descending));

    [Fact]
    public void Combine_OneOrdered_KeepsOrder() =>
        Assert.Equal("""{"region":"x","tags":"t","+order_by":"id","+order":"asc"}""",
            (Filter.Eq("region", "x").OrderBy("id") & Filter.Tag("t")).ToJson());

    [Fact]
    public void Eq_OperatorAsField_Throws() =>
        Assert.Throws<ArgumentException>(() => Filter.Eq("+or", "x"));

    [Fact]
    public void ToJsonObject_CalledTwice_ReturnsIndependentCopies()
    {
        var filter = Filter.Gte("memory", 1024);
        var first = filter.ToJsonObject();
        first["memory"]!["+gte"] = 1;
        Assert.Equal("""{"memory":{"+gte":1024}}""", filter.ToJson());
    }
}
