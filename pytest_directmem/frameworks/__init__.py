"""Frameworks under test: Maven coordinates on the classpath, Netty and okhttp scenarios."""
