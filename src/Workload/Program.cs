return await Workload.WorkloadApp.RunAsync(args);
