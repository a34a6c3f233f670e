using Akka.Actor;
using Akka.Event;

namespace Switch.Actors.Cluster;

/// <summary>Akka's log on standard error, so a node's standard output carries only what it prints for people and scripts.</summary>
public sealed class StderrLogger : ReceiveActor
{
    public StderrLogger()
    {
        Receive<InitializeLogger>(_ => Sender.Tell(new LoggerInitialized()));
        Receive<LogEvent>(e => Console.Error.WriteLine($"[{e.LogLevel().ToString().Replace("Level", "").ToUpperInvariant()}] {e.Timestamp:O} {e.LogSource}: {e.Message}"));
    }
}
