namespace Switch.Core.Ports;

/// <summary>A port could not be opened (no such interface, no libpcap, no privilege): a one-line reason for the user.</summary>
public sealed class PortOpenException(string message) : Exception(message);
