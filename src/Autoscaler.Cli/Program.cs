using System.CommandLine;

var root = new RootCommand("linode-autoscaler: autoscale Linode instances behind a NodeBalancer from Prometheus signals");
return await root.Parse(args).InvokeAsync();
