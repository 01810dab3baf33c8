package dev.vigil.agent.config;

/** The IP family of a VRRP instance: every address carried in its adverts has this family. */
public enum AddressFamily { IPV4, IPV6 }
